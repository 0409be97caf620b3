using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using SanaSprint.Inference.Checkpoints;

namespace SanaSprint.Inference.Demo;

/// <summary>
/// The embedded demo checkpoint: a small SANA-Sprint-architecture pipeline (Sprint transformer, Sana ControlNet,
/// DC-AE f = 32, Gemma-2 text encoder, SentencePiece tokenizer) trained on synthetic shapes and sketches by
/// <c>tools/demo-checkpoint</c> (DC-AE, flow-matching teacher with ControlNet, sCM distillation), plus a tiny
/// autoencoder distilled from its DC-AE for live frames (<c>taesana_demo/</c>). The diffusers folders
/// are committed under <c>src/SanaSprint.Inference.Demo/Checkpoint/</c>, embedded in this assembly, and extracted once
/// into the cache folder, where exactly the same loading code as for a real checkpoint reads them. It lets the app,
/// the CLI and the benchmarks draw from a fresh clone without a download.
/// </summary>
public static class DemoCheckpoint
{
    /// <summary>Version of the embedded checkpoint; the extraction folder is keyed by it and by the content hash.</summary>
    public const string Version = "v2";

    /// <summary>The model name shown for the demo.</summary>
    public const string ModelName = "SanaSprint demo (small, trained on synthetic shapes)";

    /// <summary>The UI banner text shown while the demo checkpoint is in use.</summary>
    public const string Notice =
        "Demo model: a small SANA-Sprint-architecture network trained on synthetic shapes and sketches (houses, trees, suns, " +
        "stars, mountains, waves …), not SANA-Sprint itself. To use SANA-Sprint, download " +
        "Efficient-Large-Model/Sana_Sprint_0.6B_1024px_diffusers and set Inference:CheckpointPath (or --checkpoint) to that folder.";

    /// <summary>Prefix of the embedded resources' logical names (the rest is the path inside the checkpoint).</summary>
    internal const string ResourcePrefix = "SanaSprint.Demo/";

    private const string PipelineFolder = "sana_sprint_demo", ControlNetFolder = "sana_controlnet_demo";

    /// <summary>The folder of the tiny autoencoder distilled from the demo's DC-AE (<c>tools/demo-checkpoint/train_tiny_ae.py</c>),
    /// the default preview autoencoder for live frames.</summary>
    internal const string PreviewFolder = "taesana_demo";
    private const string CompleteMarker = "demo-complete.json";

    /// <summary>The files of the embedded checkpoint, as paths relative to its root (<c>sana_sprint_demo/vae/config.json</c>, …).</summary>
    public static IReadOnlyList<string> Files { get; } = typeof(DemoCheckpoint).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Returns the demo checkpoint under <paramref name="cacheDirectory"/>, extracting it first if needed.</summary>
    /// <param name="cacheDirectory">The cache folder (<see cref="InferenceOptions.ResolveCacheDirectory"/>).</param>
    /// <returns>The folders.</returns>
    /// <exception cref="IOException">The folder cannot be written.</exception>
    /// <exception cref="InvalidOperationException">The assembly carries no demo checkpoint (a broken build).</exception>
    public static CheckpointPaths EnsureCreated(string cacheDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDirectory);
        if (!Files.Any(f => f == $"{PipelineFolder}/model_index.json"))
            throw new InvalidOperationException($"{typeof(DemoCheckpoint).Assembly.GetName().Name} carries no embedded demo checkpoint; rebuild the project.");

        string root = Path.Combine(cacheDirectory, "demo", $"{Version}-{ContentHash[..12]}");
        bool hasPreview = Files.Any(f => f.StartsWith(PreviewFolder + "/", StringComparison.Ordinal));
        var paths = new CheckpointPaths(Path.Combine(root, PipelineFolder), Path.Combine(root, ControlNetFolder),
            hasPreview ? Path.Combine(root, PreviewFolder) : null);
        if (File.Exists(Path.Combine(root, CompleteMarker))) return paths;

        // Extract into a private folder and move it into place, so concurrent starts never see half a checkpoint.
        Directory.CreateDirectory(Path.Combine(cacheDirectory, "demo"));
        string staging = Path.Combine(cacheDirectory, "demo", $".staging-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Extract(staging);
            File.WriteAllText(Path.Combine(staging, CompleteMarker), JsonSerializer.Serialize(new { version = Version, sha256 = ContentHash }));
            for (int attempt = 0; attempt < 2 && !File.Exists(Path.Combine(root, CompleteMarker)); attempt++)
            {
                try
                {
                    Directory.Move(staging, root);
                }
                catch (IOException) when (Directory.Exists(root))
                {
                    // Another thread or process moved its copy first (then the marker is there), or an interrupted
                    // earlier extraction left an incomplete folder behind: remove that one and try once more.
                    if (!File.Exists(Path.Combine(root, CompleteMarker)))
                    {
                        try { Directory.Delete(root, recursive: true); }
                        catch (IOException) { }
                        catch (UnauthorizedAccessException) { }
                    }
                }
            }

            if (!File.Exists(Path.Combine(root, CompleteMarker)))
                throw new IOException($"could not extract the demo checkpoint into '{root}'.");
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }

        return paths;
    }

    /// <summary>Writes the embedded checkpoint's files under <paramref name="directory"/> (the two folders side by side).</summary>
    /// <param name="directory">Target folder.</param>
    public static void Extract(string directory)
    {
        var assembly = typeof(DemoCheckpoint).Assembly;
        foreach (string file in Files)
        {
            string target = Path.Combine(directory, file.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var source = Open(assembly, file);
            using var destination = File.Create(target);
            source.CopyTo(destination);
        }
    }

    /// <summary>SHA-256 over the embedded files (names and bytes), hex; keys the extraction folder.</summary>
    public static string ContentHash => LazyHash.Value;

    private static readonly Lazy<string> LazyHash = new(() =>
    {
        var assembly = typeof(DemoCheckpoint).Assembly;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        foreach (string file in Files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(file + "\n"));
            using var s = Open(assembly, file);
            int n;
            while ((n = s.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, n);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    });

    private static Stream Open(Assembly assembly, string file) =>
        assembly.GetManifestResourceStream(ResourcePrefix + file)
        ?? throw new InvalidOperationException($"embedded demo checkpoint file '{file}' is missing from {assembly.GetName().Name}.");
}
