using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;

namespace SanaSprint.Inference.Tests.Models;

public sealed class ModelCatalogTests
{
    [Fact]
    public void DescribeReadsEachFamilysRoleAndTheFactsThePipelineNeeds()
    {
        var transformer = ModelCatalog.Describe(ComponentConfig.Load(TestPaths.GoldenCase("transformer_sprint_tiny")));
        var config = ComponentConfig.Load(TestPaths.GoldenCase("transformer_sprint_tiny")).Deserialize<SanaTransformer2DConfig>();
        Assert.Equal(ModelRole.Denoiser, transformer.Role);
        Assert.Equal(config.InChannels, transformer.LatentChannels);
        Assert.Equal(config.CaptionChannels, transformer.CaptionChannels);

        var vae = ModelCatalog.Describe(ComponentConfig.Load(TestPaths.GoldenCase("dcae_decoder_tiny")), ModelRole.Autoencoder);
        var vc = ComponentConfig.Load(TestPaths.GoldenCase("dcae_decoder_tiny")).Deserialize<AutoencoderDCConfig>();
        Assert.Equal(AutoencoderDC.SpatialCompression(vc), vae.VaeScaleFactor);
        Assert.Equal((float)vc.ScalingFactor, vae.ScalingFactor);
        Assert.Equal(vc.LatentChannels, vae.LatentChannels);
    }

    [Fact]
    public void AComponentInTheWrongRoleIsRejectedNamingFileAndRole()
    {
        var config = ComponentConfig.Load(TestPaths.GoldenCase("dcae_decoder_tiny"));
        var ex = Assert.Throws<CheckpointException>(() => ModelCatalog.Describe(config, ModelRole.Denoiser));
        Assert.Contains("config.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AutoencoderDC", ex.Message, StringComparison.Ordinal);
        Assert.Contains("expected a Denoiser", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EverySupportedClassIsDescribedOrNamedInTheError()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("config.json"), """{"_class_name":"FluxTransformer2DModel"}""");
        var ex = Assert.Throws<CheckpointException>(() => ModelCatalog.Describe(ComponentConfig.Load(tmp.Path)));
        Assert.All(ModelCatalog.SupportedClassNames, name => Assert.Contains(name, ex.Message, StringComparison.Ordinal));
    }
}
