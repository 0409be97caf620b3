using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Presets;

public sealed class StylePresetTests
{
    private static StylePreset Preset(string template, int? steps = null, GuidanceMode? mode = null, long? seed = null, float? scale = null) =>
        new() { Id = "p", Name = "P", PromptTemplate = template, Steps = steps, Mode = mode, Seed = seed, ControlScale = scale };

    private static readonly FrameSettings Room = new(2, 99, false, GuidanceMode.ControlNet, 0.6f, 1.0f, null);

    [Theory]
    [InlineData("watercolour painting of {prompt}, soft washes", "a harbour", "watercolour painting of a harbour, soft washes")]
    [InlineData("{prompt}", "  a harbour  ", "a harbour")]
    [InlineData("watercolour painting of {prompt}, soft washes", "", "watercolour painting of, soft washes")]
    [InlineData("{prompt}, 35mm photo", "", "35mm photo")]
    [InlineData("pixel art", "a cat", "pixel art, a cat")]
    [InlineData("pixel art", "", "pixel art")]
    public void ComposePutsTheSubjectIntoTheSlot(string template, string subject, string expected) =>
        Assert.Equal(expected, Preset(template).Compose(subject));

    [Fact]
    public void ApplyToSetsThePresetIdAndOnlyTheSuggestedSettings()
    {
        var applied = Preset("{prompt}", steps: 3, scale: 1.4f).ApplyTo(Room);

        Assert.Equal(Room with { PresetId = "p", Steps = 3, ControlScale = 1.4f }, applied);
    }

    [Fact]
    public void ASavedSeedIsAppliedAndLocked()
    {
        var applied = Preset("{prompt}", seed: 1234).ApplyTo(Room);

        Assert.Equal((1234L, true), (applied.Seed, applied.SeedLocked));
    }

    [Fact]
    public void AModeTheModelLacksIsNotApplied()
    {
        var applied = Preset("{prompt}", mode: GuidanceMode.ControlNet).ApplyTo(Room with { Mode = GuidanceMode.Text }, [GuidanceMode.Text, GuidanceMode.Img2Img]);

        Assert.Equal(GuidanceMode.Text, applied.Mode);
        Assert.Equal(GuidanceMode.Img2Img, Preset("{prompt}", mode: GuidanceMode.Img2Img).ApplyTo(Room, [GuidanceMode.Img2Img]).Mode);
    }
}
