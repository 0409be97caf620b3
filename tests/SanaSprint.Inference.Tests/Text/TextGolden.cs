namespace SanaSprint.Inference.Tests.Text;

/// <summary>
/// Finds <c>shared/golden/text</c> by walking up from the test assembly folder (CI clones the repository with shared/ beside it),
/// then from this source file's folder (builds with <c>--artifacts-path</c> put the assembly outside the repository).
/// </summary>
internal static class TextGolden
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The <c>shared/golden/text</c> folder.</summary>
    public static string Directory => Root.Value;

    /// <summary>A case folder under <c>shared/golden/text</c>.</summary>
    public static string Case(string name) => Path.Combine(Directory, name);

    private static string FindRoot() =>
        FindAbove(AppContext.BaseDirectory) ?? FindAbove(SourceDirectory()) ?? throw new DirectoryNotFoundException(
            $"No 'shared/golden' folder found above '{AppContext.BaseDirectory}' or '{SourceDirectory()}'. The golden reference data must sit beside the repository (../shared).");

    private static string? FindAbove(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "golden");
            if (System.IO.Directory.Exists(candidate))
            {
                return Path.Combine(candidate, "text");
            }
        }

        return null;
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path) ?? ".";
}
