using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Models;

/// <summary>Broken checkpoints fail with errors that name the file and the tensor.</summary>
public sealed class BadCheckpointTests
{
    private static readonly SanaTransformer2DConfig Tiny = new()
    {
        InChannels = 4, OutChannels = 4, NumAttentionHeads = 2, AttentionHeadDim = 4, NumLayers = 1,
        NumCrossAttentionHeads = 2, CrossAttentionHeadDim = 4, CrossAttentionDim = 8, CaptionChannels = 6, MlpRatio = 2,
    };

    private static CheckpointException ExportFails(string dir, TempFolder tmp) =>
        Assert.Throws<CheckpointException>(() => ModelCatalog.Export(dir, tmp.File("out.onnx"), new ModelBuildOptions()));

    private static string Weights(string dir) => Path.Combine(dir, "diffusion_pytorch_model.safetensors");

    [Fact]
    public void TruncatedSafetensorsNamesTheFileAndTheTensor()
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), Tiny);
        var bytes = File.ReadAllBytes(Weights(dir));
        File.WriteAllBytes(Weights(dir), bytes[..^100]);
        var ex = ExportFails(dir, tmp);
        Assert.Contains(Weights(dir), ex.Message);
        Assert.Contains("truncated", ex.Message);
        Assert.Contains("'proj_out.", ex.Message); // the last tensors in the file are the ones cut off
    }

    [Fact]
    public void WrongShapeNamesTensorActualAndExpectedShape()
    {
        using var tmp = new TempFolder();
        string dir = tmp.File("t");
        var shapes = ParameterShapes.ForTransformer(Tiny)
            .Select(p => p.Name == "transformer_blocks.0.attn1.to_k.weight" ? (p.Name, new long[] { 8, 4 }) : p).ToList();
        RandomCheckpoint.Write(dir, ComponentConfig.ToJson("SanaTransformer2DModel", Tiny), shapes);
        var ex = ExportFails(dir, tmp);
        Assert.Contains(Weights(dir), ex.Message);
        Assert.Contains("'transformer_blocks.0.attn1.to_k.weight' has shape [8, 4]; expected [8, 8]", ex.Message);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var tmp = new TempFolder();
        string dir = tmp.File("t");
        var shapes = ParameterShapes.ForTransformer(Tiny).Where(p => p.Name != "caption_norm.weight").ToList();
        RandomCheckpoint.Write(dir, ComponentConfig.ToJson("SanaTransformer2DModel", Tiny), shapes);
        var ex = ExportFails(dir, tmp);
        Assert.Contains("'caption_norm.weight' is missing", ex.Message);
        Assert.Contains(Weights(dir), ex.Message);
    }

    [Fact]
    public void UnexpectedTensorIsNamed()
    {
        using var tmp = new TempFolder();
        string dir = tmp.File("t");
        var shapes = ParameterShapes.ForTransformer(Tiny).Append(("pos_embed", new long[] { 1, 4 })).ToList();
        RandomCheckpoint.Write(dir, ComponentConfig.ToJson("SanaTransformer2DModel", Tiny), shapes);
        var ex = ExportFails(dir, tmp);
        Assert.Contains("'pos_embed' is unexpected", ex.Message);
    }

    [Fact]
    public void SprintConfigOnStandardWeightsReportsTheFirstMissingGuidanceTensor()
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), Tiny);
        File.WriteAllText(Path.Combine(dir, "config.json"), ComponentConfig.ToJson("SanaTransformer2DModel", Tiny with { GuidanceEmbeds = true }));
        var ex = ExportFails(dir, tmp);
        Assert.Contains("'time_embed.timestep_embedder.linear_1.weight' is missing", ex.Message);
    }

    [Fact]
    public void UnsupportedDtypeNamesTheTensor()
    {
        using var tmp = new TempFolder();
        string dir = Directory.CreateDirectory(tmp.File("t")).FullName;
        File.WriteAllText(Path.Combine(dir, "config.json"), ComponentConfig.ToJson("SanaTransformer2DModel", Tiny));
        var writer = new SafetensorsWriter();
        foreach (var (name, shape) in ParameterShapes.ForTransformer(Tiny))
        {
            long n = shape.Aggregate(1L, (a, b) => a * b);
            if (name == "caption_projection.linear_1.weight") writer.Add(name, "F64", shape, new byte[n * 8]);
            else writer.AddF32(name, shape, new float[n]);
        }
        writer.Save(Weights(dir));
        var ex = ExportFails(dir, tmp);
        Assert.Contains(Weights(dir), ex.Message);
        Assert.Contains("'caption_projection.linear_1.weight' has unsupported dtype 'F64'", ex.Message);
    }

    [Fact]
    public void UnknownClassListsTheSupportedNames()
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), Tiny);
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"_class_name": "FluxTransformer2DModel"}""");
        var ex = ExportFails(dir, tmp);
        Assert.Contains(Path.Combine(dir, "config.json"), ex.Message);
        Assert.Contains("unknown _class_name 'FluxTransformer2DModel'", ex.Message);
        Assert.Contains("SanaTransformer2DModel", ex.Message);
        Assert.Contains("SanaControlNetModel", ex.Message);
    }

    [Fact]
    public void UnsupportedQkNormNamesTheConfigKey()
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), Tiny);
        File.WriteAllText(Path.Combine(dir, "config.json"), ComponentConfig.ToJson("SanaTransformer2DModel", Tiny with { QkNorm = "layer_norm" }));
        var ex = ExportFails(dir, tmp);
        Assert.Contains("qk_norm 'layer_norm'", ex.Message);
    }
}
