using System.Runtime.CompilerServices;

namespace SanaSprint.Tests.Shared;

/// <summary>
/// The repository root and the shared reference data (<c>shared/golden</c> beside the repository: CI clones the
/// repository to some folder with <c>shared/</c> next to it), for every test project (each compiles this file as a
/// link). Both are looked for above the test assembly (default build output inside the clone) and above this source
/// file (builds with <c>--artifacts-path</c> put the assembly elsewhere). Fails loudly when something is missing:
/// golden tests must never be skipped.
/// </summary>
public static class TestPaths
{
    /// <summary>The file that marks the repository root.</summary>
    public const string RepoRootMarker = "SanaSprint.sln";

    private static readonly Lazy<string> RepoRootLazy = new(() => FindAbove(
        d => System.IO.File.Exists(Path.Combine(d, RepoRootMarker)) ? d : null,
        $"the repository root (the folder holding {RepoRootMarker})"));

    private static readonly Lazy<string> GoldenLazy = new(() => FindAbove(
        d => Path.Combine(d, "shared", "golden") is var g && Directory.Exists(g) && System.IO.File.Exists(Path.Combine(g, "README.md")) ? g : null,
        "shared/golden (clone the repository next to the 'shared' folder: <clone>/../shared/golden)"));

    /// <summary>The repository root (the folder holding <see cref="RepoRootMarker"/>).</summary>
    public static string RepoRoot => RepoRootLazy.Value;

    /// <summary>The <c>shared/golden</c> folder.</summary>
    public static string Golden => GoldenLazy.Value;

    /// <summary>One golden case folder; fails when it does not exist.</summary>
    /// <param name="parts">The case's path under <c>shared/golden</c>, e.g. <c>"layout"</c> or <c>"text", "tokenizer"</c>.</param>
    public static string GoldenCase(params string[] parts)
    {
        string dir = Path.Combine([Golden, .. parts]);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Golden case '{Path.Combine(parts)}' not found under {Golden}.");
        return dir;
    }

    private static string FindAbove(Func<string, string?> match, string what)
    {
        string[] starts = [AppContext.BaseDirectory, Path.GetDirectoryName(SourceFile())!];
        foreach (var start in starts)
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                if (match(d.FullName) is { } found) return found;
            }
        }

        throw new DirectoryNotFoundException($"Could not find {what} in any parent of {string.Join(" or ", starts)}.");
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
