using SanaSprint.Inference.Checkpoints;

namespace SanaSprint.Inference.Tests.Checkpoints;

public sealed class DiffusersFolderTests
{
    private static string Pipeline => Path.Combine(TestPaths.Golden, "layout", "sana_sprint_tiny_pipeline");

    [Fact]
    public void ModelIndexListsComponentsWithLibraryAndClass()
    {
        var folder = DiffusersFolder.Open(Pipeline);
        Assert.Equal("SanaSprintPipeline", folder.Index.ClassName);
        Assert.Equal(new ModelIndexComponent("transformer", "diffusers", "SanaTransformer2DModel"), folder.Index.Components["transformer"]);
        Assert.Equal("Gemma2Model", folder.Index.Components["text_encoder"].ClassName);
        Assert.Equal("AutoencoderDC", folder.Index.Components["vae"].ClassName);
    }

    [Fact]
    public void TransformerConfigReadsDiffusersNamesAndKeepsDefaults()
    {
        var folder = DiffusersFolder.Open(Pipeline);
        var config = folder.ComponentConfig("transformer");
        Assert.Equal("SanaTransformer2DModel", config.ClassName);
        var t = config.Deserialize<SanaTransformer2DConfig>();
        Assert.True(t.NumLayers > 0);
        Assert.Equal(t.NumAttentionHeads * t.AttentionHeadDim, t.InnerDim);

        // A config that omits keys gets diffusers' defaults.
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("config.json"), """{"_class_name":"SanaTransformer2DModel","num_layers":3,"qk_norm":"rms_norm_across_heads"}""");
        var d = ComponentConfig.Load(tmp.Path).Deserialize<SanaTransformer2DConfig>();
        Assert.Equal(3, d.NumLayers);
        Assert.Equal(70, d.NumAttentionHeads);
        Assert.Equal(2304, d.CaptionChannels);
        Assert.Equal(1e-6, d.NormEps);
        Assert.False(d.GuidanceEmbeds);
        Assert.Equal("rms_norm_across_heads", d.QkNorm);
    }

    [Fact]
    public void AutoencoderConfigAcceptsStringOrListPerStageValues()
    {
        var vae = DiffusersFolder.Open(Pipeline).ComponentConfig("vae").Deserialize<AutoencoderDCConfig>();
        Assert.Equal(vae.EncoderBlockOutChannels.Length, vae.DecoderBlockOutChannels.Length);
        Assert.NotEmpty(vae.DecoderNormTypes);

        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("config.json"), """{"_class_name":"AutoencoderDC","decoder_norm_types":["batch_norm","rms_norm"],"decoder_act_fns":"relu"}""");
        var c = ComponentConfig.Load(tmp.Path).Deserialize<AutoencoderDCConfig>();
        Assert.Equal(["batch_norm", "rms_norm"], c.DecoderNormTypes);
        Assert.Equal("relu", AutoencoderDCConfig.PerStage(c.DecoderActFns, 3));
        Assert.Equal("rms_norm", AutoencoderDCConfig.PerStage(c.DecoderNormTypes, 1));
    }

    [Fact]
    public void MissingComponentFolderAndMissingConfigAreNamed()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("model_index.json"), """{"_class_name":"SanaSprintPipeline","transformer":["diffusers","SanaTransformer2DModel"],"text_encoder":[null,null]}""");
        var folder = DiffusersFolder.Open(tmp.Path);
        Assert.False(folder.HasComponent("text_encoder"));
        var ex = Assert.Throws<CheckpointException>(() => folder.ComponentConfig("transformer"));
        Assert.Contains(Path.Combine(tmp.Path, "transformer"), ex.Message);

        Directory.CreateDirectory(tmp.File("transformer"));
        ex = Assert.Throws<CheckpointException>(() => folder.ComponentConfig("transformer"));
        Assert.Contains("config.json", ex.Message);
        Assert.Contains("not found", ex.Message);

        ex = Assert.Throws<CheckpointException>(() => folder.ComponentPath("vae"));
        Assert.Contains("model_index.json", ex.Message);
        Assert.Contains("'vae'", ex.Message);
    }

    [Fact]
    public void TransformersConfigTakesItsClassFromArchitectures()
    {
        var folder = DiffusersFolder.Open(Pipeline);
        Assert.Equal("Gemma2Model", folder.ComponentConfig("text_encoder").ClassName);

        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("config.json"), """{"hidden_size": 8}""");
        var ex = Assert.Throws<CheckpointException>(() => ComponentConfig.Load(tmp.Path));
        Assert.Contains(tmp.File("config.json"), ex.Message);
        Assert.Contains("_class_name", ex.Message);
    }

    [Fact]
    public void ClassMismatchBetweenIndexAndConfigIsAnError()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("model_index.json"), """{"_class_name":"P","transformer":["diffusers","SanaTransformer2DModel"]}""");
        Directory.CreateDirectory(tmp.File("transformer"));
        File.WriteAllText(Path.Combine(tmp.File("transformer"), "config.json"), """{"_class_name":"FluxTransformer2DModel"}""");
        var ex = Assert.Throws<CheckpointException>(() => DiffusersFolder.Open(tmp.Path).ComponentConfig("transformer"));
        Assert.Contains("FluxTransformer2DModel", ex.Message);
        Assert.Contains("SanaTransformer2DModel", ex.Message);
    }
}
