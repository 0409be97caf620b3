using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Tests.TestSupport;

namespace SanaSprint.Inference.Tests.Checkpoints;

public sealed class SafetensorsCheckpointTests
{
    [Fact]
    public void ShardedIndexMapsEveryTensorToItsShard()
    {
        string dir = Path.Combine(TestPaths.Golden, "layout", "sana_sprint_tiny_pipeline", "text_encoder");
        using var ckpt = SafetensorsCheckpoint.Open(dir);
        Assert.Equal(2, ckpt.Files.Count);
        Assert.True(ckpt.Contains("embed_tokens.weight"));
        Assert.True(ckpt.Contains("norm.weight"));
        // Both shards hold something, and each name resolves to the shard that has it.
        foreach (var f in ckpt.Files)
            Assert.Contains(ckpt.Names, n => ckpt.FileOf(n) == f);
        foreach (var n in ckpt.Names)
            Assert.True(ckpt.FileOf(n).Contains(n));
        Assert.Equal(SafetensorsDType.BF16, ckpt.FileOf("norm.weight").GetDType("norm.weight"));
        var norm = ckpt.ReadFloat32("norm.weight");
        Assert.All(norm, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void IndexNamingATensorItsShardLacksIsAnError()
    {
        using var tmp = new TempFolder();
        new SafetensorsWriter().AddF32("a", [1], [1f]).Save(tmp.File("model-00001-of-00001.safetensors"));
        File.WriteAllText(tmp.File("model.safetensors.index.json"),
            """{"metadata":{},"weight_map":{"a":"model-00001-of-00001.safetensors","ghost.weight":"model-00001-of-00001.safetensors"}}""");
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(tmp.Path));
        Assert.Contains("'ghost.weight'", ex.Message);
        Assert.Contains("model-00001-of-00001.safetensors", ex.Message);
    }

    [Fact]
    public void IndexWithMissingShardNamesTheShard()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("model.safetensors.index.json"), """{"weight_map":{"a":"model-00002-of-00002.safetensors"}}""");
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(tmp.Path));
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
        Assert.Contains("not found", ex.Message);
    }

    [Fact]
    public void RequireChecksShapeAndReportsUnusedTensors()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("diffusion_pytorch_model.safetensors");
        new SafetensorsWriter().AddF32("proj.weight", [4, 2], new float[8]).AddF32("extra.bias", [3], new float[3]).Save(path);
        using var ckpt = SafetensorsCheckpoint.Open(tmp.Path);

        var ex = Assert.Throws<CheckpointException>(() => ckpt.Require("proj.weight", [4, 3], "out × in"));
        Assert.Contains(path, ex.Message);
        Assert.Contains("'proj.weight' has shape [4, 2]; expected [4, 3] (out × in)", ex.Message);

        ex = Assert.Throws<CheckpointException>(() => ckpt.Require("proj.bias", [4]));
        Assert.Contains("'proj.bias' is missing", ex.Message);

        ckpt.Require("proj.weight", [4, 2]);
        Assert.Equal(["extra.bias"], ckpt.UnusedNames);
        ex = Assert.Throws<CheckpointException>(ckpt.EnsureAllUsed);
        Assert.Contains("'extra.bias' is unexpected", ex.Message);
        Assert.Contains(path, ex.Message);
    }
}
