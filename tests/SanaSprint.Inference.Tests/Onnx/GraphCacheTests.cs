using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Tests.TestSupport;

namespace SanaSprint.Inference.Tests.Onnx;

public sealed class GraphCacheTests
{
    private static readonly SanaTransformer2DConfig Tiny = new()
    {
        InChannels = 4, OutChannels = 4, NumAttentionHeads = 2, AttentionHeadDim = 4, NumLayers = 2,
        NumCrossAttentionHeads = 2, CrossAttentionHeadDim = 4, CrossAttentionDim = 8, CaptionChannels = 6, MlpRatio = 2,
        GuidanceEmbeds = true, QkNorm = SanaTransformer2DModel.RmsNormAcrossHeads,
    };

    private sealed class Recorder : IProgress<GraphBuildProgress>
    {
        public List<GraphBuildProgress> Reports { get; } = [];
        public void Report(GraphBuildProgress value) { lock (Reports) Reports.Add(value); }
    }

    [Fact]
    public void SecondBuildFindsTheCachedGraphAndOptionsOrContentMakeNewEntries()
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), Tiny);
        var cache = new GraphCache(tmp.File("cache"));
        var progress = new Recorder();

        var first = ModelCatalog.BuildCached(dir, cache, new ModelBuildOptions(), progress);
        Assert.False(first.FromCache);
        Assert.Contains(progress.Reports, r => r.Stage == "building graph" && r.Done == Tiny.NumLayers);
        Assert.Contains(progress.Reports, r => r.Stage == "writing weights" && r.Fraction == 1);

        var second = ModelCatalog.BuildCached(dir, cache, new ModelBuildOptions());
        Assert.True(second.FromCache);
        Assert.Equal(first.ModelPath, second.ModelPath);

        var other = ModelCatalog.BuildCached(dir, cache, new ModelBuildOptions { ControlBlocks = 1 });
        Assert.False(other.FromCache);
        Assert.NotEqual(first.ModelPath, other.ModelPath);

        // New weights (same names and shapes, other values) must not reuse the old graph.
        TinyModels.WriteTransformer(dir, Tiny, seed: 99);
        var rebuilt = ModelCatalog.BuildCached(dir, cache, new ModelBuildOptions());
        Assert.False(rebuilt.FromCache);
        Assert.NotEqual(first.Key, rebuilt.Key);
    }

    [Fact]
    public void Fp32CheckpointIsReferencedInPlaceThroughAHardLink()
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), Tiny);
        var graph = ModelCatalog.BuildCached(dir, new GraphCache(tmp.File("cache")), new ModelBuildOptions());
        string folder = Path.GetDirectoryName(graph.ModelPath)!;
        var linked = Directory.GetFiles(folder, "checkpoint0_*.safetensors").Single();
        Assert.False(File.Exists(graph.ModelPath + ".data")); // nothing converted, nothing copied
        Assert.Equal(new FileInfo(Path.Combine(dir, "diffusion_pytorch_model.safetensors")).Length, new FileInfo(linked).Length);

        // An fp16 build of the same checkpoint converts into one data file instead.
        var fp16 = ModelCatalog.BuildCached(dir, new GraphCache(tmp.File("cache")), new ModelBuildOptions { Precision = GraphPrecision.Fp16 });
        Assert.True(File.Exists(fp16.ModelPath + ".data"));
    }

    [Fact]
    public void ContentHashIsRememberedAcrossInstances()
    {
        using var tmp = new TempFolder();
        string file = tmp.File("w.bin");
        File.WriteAllBytes(file, [1, 2, 3]);
        string h1 = new GraphCache(tmp.File("cache")).ContentHash(file);
        Assert.Single(Directory.GetFiles(tmp.File("cache/hashes")));
        Assert.Equal(h1, new GraphCache(tmp.File("cache")).ContentHash(file));
        File.WriteAllBytes(file, [1, 2, 4]);
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(1));
        Assert.NotEqual(h1, new GraphCache(tmp.File("cache")).ContentHash(file));
    }
}
