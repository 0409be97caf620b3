using Bunit;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestComponents;

namespace SanaSprint.Web.Tests.Components;

public sealed class ModelBannerTests : UiTestContext
{
    private static ModelInfo Model(bool demo = false, string? notice = null, bool available = true, string? reason = null) =>
        new("m", demo, notice, available, reason, [GuidanceMode.Text], "CPU");

    [Fact]
    public void DefaultValues()
    {
        var cut = Render<ModelBanner>();

        Assert.Null(cut.Instance.Model);
        Assert.Null(cut.Instance.Failure);
        Assert.Empty(cut.FindAll(".mud-alert"));
    }

    [Fact]
    public void ARealAvailableModelShowsNoBanner()
    {
        var cut = Render<ModelBanner>(p => p.Add(x => x.Model, Model()));

        Assert.Empty(cut.FindAll(".mud-alert"));
    }

    [Fact]
    public void TheDemoCheckpointShowsItsNotice()
    {
        var cut = Render<ModelBanner>(p => p.Add(x => x.Model, Model(demo: true, notice: "Running the tiny demo checkpoint.")));

        var banner = cut.Find("[data-testid=demo-banner]");
        Assert.Contains("Running the tiny demo checkpoint.", banner.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=unavailable-banner]"));
    }

    [Fact]
    public void ACpuFallbackShowsWhyCudaIsUnavailable()
    {
        var cut = Render<ModelBanner>(p => p.Add(x => x.Model, Model() with { ProviderNote = "CUDA is unavailable, running on CPU: Missing: libcublasLt.so.13 (CUDA 13 cuBLASLt)." }));

        Assert.Contains("libcublasLt.so.13", cut.Find("[data-testid=provider-banner]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnavailableModelShowsTheReason()
    {
        var cut = Render<ModelBanner>(p => p.Add(x => x.Model, Model(available: false, reason: "transformer/config.json is missing.")));

        Assert.Contains("transformer/config.json is missing.", cut.Find("[data-testid=unavailable-banner]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnavailableFrameFailureShowsAsUnavailable()
    {
        var cut = Render<ModelBanner>(p => p.Add(x => x.Model, Model()).Add(x => x.Failure, new FrameFailedMessage(7, "frames unavailable: out of memory", true)));

        Assert.Contains("out of memory", cut.Find("[data-testid=unavailable-banner]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=frame-error]"));
    }

    [Fact]
    public void AFailedRunShowsAWarningNotTheUnavailableBanner()
    {
        var cut = Render<ModelBanner>(p => p.Add(x => x.Model, Model()).Add(x => x.Failure, new FrameFailedMessage(7, "the run threw", false)));

        Assert.Contains("the run threw", cut.Find("[data-testid=frame-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=unavailable-banner]"));
    }
}
