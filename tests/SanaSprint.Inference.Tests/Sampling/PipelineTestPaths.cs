using System.Runtime.CompilerServices;

namespace SanaSprint.Inference.Tests.Sampling;

/// <summary>Locates the shared golden folders relative to this source file (independent of the build output folder).</summary>
internal static class PipelineTestPaths
{
    /// <summary>The repository root (the folder holding SanaSprint.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shared golden folder (<c>../shared/golden</c> next to the repository).</summary>
    public static string Golden(string caseName) => Path.Combine(RepoRoot, "..", "shared", "golden", caseName);

    private static string FindRepoRoot([CallerFilePath] string path = "")
    {
        var dir = new DirectoryInfo(Path.GetDirectoryName(path)!);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SanaSprint.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"SanaSprint.sln not found above {path}.");
    }
}
