using System.Security.Cryptography;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Tests.Demo;

public sealed class DemoCheckpointTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("demo-ckpt-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void GenerationIsDeterministic()
    {
        var a = DemoCheckpoint.EnsureCreated(Path.Combine(_dir.FullName, "a"));
        var b = DemoCheckpoint.EnsureCreated(Path.Combine(_dir.FullName, "b"));
        foreach (var rel in new[] { "transformer/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors", "tokenizer/tokenizer.model", "model_index.json" })
            Assert.Equal(Hash(Path.Combine(a.PipelineDirectory, rel)), Hash(Path.Combine(b.PipelineDirectory, rel)));
        Assert.Equal(Hash(Path.Combine(a.ControlNetDirectory, "diffusion_pytorch_model.safetensors")), Hash(Path.Combine(b.ControlNetDirectory, "diffusion_pytorch_model.safetensors")));
    }

    [Fact]
    public void SecondCallReusesTheGeneratedFolder()
    {
        var first = DemoCheckpoint.EnsureCreated(_dir.FullName);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(first.PipelineDirectory, "model_index.json"));
        var second = DemoCheckpoint.EnsureCreated(_dir.FullName);
        Assert.Equal(first, second);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(second.PipelineDirectory, "model_index.json")));
    }

    [Fact]
    public void AutoencoderBuilderAcceptsTheDemoVae()
    {
        var paths = DemoCheckpoint.EnsureCreated(_dir.FullName);
        string vae = Path.Combine(paths.PipelineDirectory, "vae");
        var config = ComponentConfig.Load(vae).Deserialize<AutoencoderDCConfig>();
        using var weights = SafetensorsCheckpoint.Open(vae);
        Assert.True(AutoencoderDC.Build(AutoencoderDCPart.Encoder, config, weights).NodeCount > 0);
        Assert.True(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights).NodeCount > 0);
    }

    [Fact]
    public void TokenizerLoadsAndEncodesAnyText()
    {
        var paths = DemoCheckpoint.EnsureCreated(_dir.FullName);
        var tok = GemmaTokenizer.FromDirectory(Path.Combine(paths.PipelineDirectory, "tokenizer"));
        Assert.Equal(2, tok.BosId);
        Assert.Equal(0, tok.PadId);
        var ids = tok.Encode("the cat 🐱\nsat");
        Assert.Equal(2, ids[0]);
        Assert.Contains(6, ids); // "\n" is an atomic user-defined piece
        Assert.StartsWith("the cat 🐱", tok.Decode(ids, skipSpecialTokens: true));
        Assert.DoesNotContain(tok.UnknownId, ids); // bytes fall back, nothing is unknown
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
