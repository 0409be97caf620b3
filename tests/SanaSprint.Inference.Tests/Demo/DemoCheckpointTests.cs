using System.Security.Cryptography;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Tests.Demo;

public sealed class DemoCheckpointTests : IDisposable
{
    private readonly TempFolder _dir = new("demo-ckpt");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void TheAssemblyEmbedsBothFoldersOfTheCommittedCheckpointUnder30MB()
    {
        string[] expected =
        [
            "sana_controlnet_demo/config.json", "sana_controlnet_demo/diffusion_pytorch_model.safetensors",
            "sana_sprint_demo/model_index.json", "sana_sprint_demo/scheduler/scheduler_config.json",
            "sana_sprint_demo/text_encoder/config.json", "sana_sprint_demo/text_encoder/model.safetensors",
            "sana_sprint_demo/tokenizer/tokenizer.model", "sana_sprint_demo/transformer/config.json",
            "sana_sprint_demo/transformer/diffusion_pytorch_model.safetensors", "sana_sprint_demo/vae/config.json",
            "sana_sprint_demo/vae/diffusion_pytorch_model.safetensors",
        ];
        Assert.All(expected, f => Assert.Contains(f, DemoCheckpoint.Files));

        var paths = DemoCheckpoint.EnsureCreated(_dir.Path);
        // The demo's tiny autoencoder (distilled from its DC-AE) beside it, under 3 MB.
        Assert.NotNull(paths.PreviewAutoencoderDirectory);
        long preview = new[] { "taesana_encoder.safetensors", "taesana_decoder.safetensors" }
            .Sum(f => new FileInfo(Path.Combine(paths.PreviewAutoencoderDirectory!, f)).Length);
        Assert.InRange(preview, 100_000, 3_000_000);
        long total = Directory.EnumerateFiles(Path.GetDirectoryName(paths.PipelineDirectory)!, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.InRange(total, 1_000_000, 30_000_000);
    }

    [Fact]
    public void ExtractedFilesAreByteIdenticalToTheCommittedOnes()
    {
        var paths = DemoCheckpoint.EnsureCreated(_dir.Path);
        string committed = Path.Combine(RepositoryRoot(), "src", "SanaSprint.Inference.Demo", "Checkpoint");
        foreach (string file in DemoCheckpoint.Files)
        {
            string extracted = Path.Combine(Path.GetDirectoryName(paths.PipelineDirectory)!, file);
            Assert.Equal(Hash(Path.Combine(committed, file)), Hash(extracted));
        }

        Assert.Equal(Directory.EnumerateFiles(committed, "*", SearchOption.AllDirectories).Count(), DemoCheckpoint.Files.Count);
    }

    [Fact]
    public void SecondCallReusesTheExtractedFolder()
    {
        var first = DemoCheckpoint.EnsureCreated(_dir.Path);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(first.PipelineDirectory, "model_index.json"));
        var second = DemoCheckpoint.EnsureCreated(_dir.Path);
        Assert.Equal(first, second);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(second.PipelineDirectory, "model_index.json")));
        Assert.Contains(DemoCheckpoint.ContentHash[..12], first.PipelineDirectory, StringComparison.Ordinal);
    }

    [Fact]
    public void ConcurrentStartsAllGetACompleteCheckpoint()
    {
        var results = new CheckpointPaths[4];
        Parallel.For(0, results.Length, i => results[i] = DemoCheckpoint.EnsureCreated(_dir.Path));
        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.All(DemoCheckpoint.Files, f => Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(results[0].PipelineDirectory)!, f)), f));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_dir.Path, "demo"), ".staging-*"));
    }

    [Fact]
    public void AutoencoderBuilderAcceptsTheDemoVae()
    {
        var paths = DemoCheckpoint.EnsureCreated(_dir.Path);
        string vae = Path.Combine(paths.PipelineDirectory, "vae");
        var config = ComponentConfig.Load(vae).Deserialize<AutoencoderDCConfig>();
        using var weights = SafetensorsCheckpoint.Open(vae);
        Assert.True(AutoencoderDC.Build(AutoencoderDCPart.Encoder, config, weights).NodeCount > 0);
        Assert.True(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights).NodeCount > 0);
        Assert.NotEqual(0.41407, config.ScalingFactor); // measured on the trained latents (1 / std), not SANA's constant
    }

    [Fact]
    public void TokenizerLoadsAndEncodesAnyText()
    {
        var paths = DemoCheckpoint.EnsureCreated(_dir.Path);
        var tok = GemmaTokenizer.FromDirectory(Path.Combine(paths.PipelineDirectory, "tokenizer"));
        Assert.Equal(2, tok.BosId);
        Assert.Equal(0, tok.PadId);
        var ids = tok.Encode("the cat 🐱\nsat <start_of_turn>");
        Assert.Equal(2, ids[0]);
        Assert.Contains(4, ids); // <start_of_turn> is an atomic special piece, as in Gemma
        Assert.StartsWith("the cat 🐱\nsat", tok.Decode(ids, skipSpecialTokens: true));
        Assert.DoesNotContain(tok.UnknownId, ids); // bytes fall back, nothing is unknown
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SanaSprint.sln"))) return d.FullName;
        string source = Path.GetDirectoryName(SourceFile())!;
        for (var d = new DirectoryInfo(source); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SanaSprint.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("SanaSprint.sln not found above the test assembly or its source.");
    }

    private static string SourceFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
