namespace SanaSprint.E2E;

/// <summary>
/// A fact that needs Debian's Chromium. Without it the test reports as skipped with the reason, unless
/// <c>SANASPRINT_REQUIRE_BROWSER=1</c> (as CI sets): then it runs and fails, saying Chromium is missing.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when Chromium is absent and not required.</summary>
    public BrowserFactAttribute()
    {
        if (!Chromium.IsInstalled && !Chromium.IsRequired)
        {
            Skip = $"Chromium not found at {Chromium.ExecutablePath} (apt-get install chromium); set {Chromium.RequireVariable}=1 to make this a failure.";
        }
    }
}

/// <summary>A theory that needs Debian's Chromium, skipped or failed as <see cref="BrowserFactAttribute"/> says.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when Chromium is absent and not required.</summary>
    public BrowserTheoryAttribute()
    {
        if (!Chromium.IsInstalled && !Chromium.IsRequired)
        {
            Skip = $"Chromium not found at {Chromium.ExecutablePath} (apt-get install chromium); set {Chromium.RequireVariable}=1 to make this a failure.";
        }
    }
}

/// <summary>Where the browser is and whether the tests must have it.</summary>
public static class Chromium
{
    /// <summary>Environment variable that makes a missing browser a failure.</summary>
    public const string RequireVariable = "SANASPRINT_REQUIRE_BROWSER";

    /// <summary>Environment variable that overrides <see cref="ExecutablePath"/>.</summary>
    public const string PathVariable = "SANASPRINT_CHROMIUM";

    /// <summary>The Chromium binary: <c>SANASPRINT_CHROMIUM</c>, else Debian's <c>/usr/bin/chromium</c>.</summary>
    public static string ExecutablePath => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } p ? p : "/usr/bin/chromium";

    /// <summary>True when the binary exists.</summary>
    public static bool IsInstalled => File.Exists(ExecutablePath);

    /// <summary>True when <c>SANASPRINT_REQUIRE_BROWSER=1</c>.</summary>
    public static bool IsRequired => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>Arguments for a quiet, offline, sandbox-free headless run.</summary>
    public static readonly string[] Args =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
}
