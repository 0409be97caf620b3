namespace SanaSprint.Inference.Tests.TestSupport;

/// <summary>Finds the shared reference data: <c>shared/golden</c> beside the repository (CI clones the repository to
/// some folder with <c>shared/</c> next to it). Fails loudly when it is missing: golden tests must never be skipped.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> GoldenLazy = new(FindGolden);

    /// <summary>The <c>shared/golden</c> folder.</summary>
    public static string Golden => GoldenLazy.Value;

    /// <summary>One golden case folder; fails when it does not exist.</summary>
    public static string GoldenCase(string name)
    {
        string dir = Path.Combine(Golden, name);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Golden case '{name}' not found under {Golden}.");
        return dir;
    }

    /// <summary>A fresh empty temporary folder, deleted by the returned handle.</summary>
    public static TempDir NewTempDir() => new();

    private static string FindGolden()
    {
        // Walk up from the test assembly (default build output inside the clone) and from this source file (builds
        // with --artifacts-path elsewhere): <clone>/../shared/golden is found from any folder inside <clone>.
        string[] starts = [AppContext.BaseDirectory, Path.GetDirectoryName(SourceFile())!];
        foreach (var start in starts)
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "shared", "golden");
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "README.md")))
                    return candidate;
            }
        }
        throw new DirectoryNotFoundException(
            $"shared/golden not found in any parent of {string.Join(" or ", starts)}: clone the repository next to the 'shared' folder (<clone>/../shared/golden).");
    }

    private static string SourceFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;
}

/// <summary>A temporary folder deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates the folder.</summary>
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sanasprint-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Deletes the folder.</summary>
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
