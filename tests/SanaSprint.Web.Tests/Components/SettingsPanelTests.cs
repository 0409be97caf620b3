using AngleSharp.Dom;
using Bunit;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Tests.TestComponents;

namespace SanaSprint.Web.Tests.Components;

public sealed class SettingsPanelTests : UiTestContext
{
    [Fact]
    public void DefaultValues()
    {
        var cut = Render<SettingsPanel>();
        var panel = cut.Instance;

        Assert.Equal(2, panel.Steps);
        Assert.Equal(0, panel.Seed);
        Assert.False(panel.SeedLocked);
        Assert.Equal(GuidanceMode.ControlNet, panel.Mode);
        Assert.Equal(0.6f, panel.Strength);
        Assert.Equal(1.0f, panel.ControlScale);
        Assert.Equal(Enum.GetValues<GuidanceMode>(), panel.SupportedModes);
        Assert.False(panel.Disabled);
        Assert.Same(Random.Shared, panel.Random);
        // What the defaults look like: step 2 selected, ControlNet shows its scale slider, not strength.
        Assert.Equal("2", cut.Find("[data-testid=steps]").GetAttribute("data-value"));
        Assert.Contains("mud-toggle-item-selected", cut.Find("[data-testid=steps-2]").ClassName);
        Assert.Single(cut.FindAll("[data-testid=control-scale]"));
        Assert.Empty(cut.FindAll("[data-testid=strength]"));
        Assert.Equal("0", cut.Find("input[data-testid=seed]").GetAttribute("value"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void ClickingAStepCountRaisesStepsChangedWithIt(int steps)
    {
        var raised = new List<int>();
        var cut = Render<SettingsPanel>(p => p.Add(x => x.Steps, 2).Add(x => x.StepsChanged, v => raised.Add(v)));
        IElement Step(int s) => cut.Find($"[data-testid=steps-{s}]");

        Step(steps).Click();

        Assert.Equal([steps], raised);
    }

    [Fact]
    public void TheNewSeedButtonRaisesSeedChangedWithADifferentSeedInRange()
    {
        var raised = new List<long>();
        var cut = Render<SettingsPanel>(p => p.Add(x => x.Seed, 42).Add(x => x.Random, new Random(7)).Add(x => x.SeedChanged, v => raised.Add(v)));

        cut.Find("[data-testid=new-seed]").Click();
        cut.Find("[data-testid=new-seed]").Click();

        Assert.Equal(2, raised.Count);
        Assert.All(raised, s => Assert.InRange(s, 0, SanaSprint.Web.Rooms.RoomRules.MaxSeed));
        Assert.NotEqual(raised[0], raised[1]);
        Assert.DoesNotContain(42L, raised);
    }

    [Fact]
    public void TypingASeedRaisesSeedChanged()
    {
        var raised = new List<long>();
        var cut = Render<SettingsPanel>(p => p.Add(x => x.SeedChanged, v => raised.Add(v)));

        cut.Find("input[data-testid=seed]").Change("12345");

        Assert.Equal([12345L], raised);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void TheSeedLockRaisesTheOppositeState(bool locked, bool expected)
    {
        var raised = new List<bool>();
        var cut = Render<SettingsPanel>(p => p.Add(x => x.SeedLocked, locked).Add(x => x.SeedLockedChanged, v => raised.Add(v)));
        IElement Lock() => cut.Find("[data-testid=seed-lock]");
        Assert.Equal(locked ? "true" : "false", Lock().GetAttribute("aria-pressed"));

        Lock().Click();

        Assert.Equal([expected], raised);
    }

    [Fact]
    public void Img2ImgShowsTheStrengthSliderAndItsChangeIsRaised()
    {
        var raised = new List<float>();
        var cut = Render<SettingsPanel>(p => p.Add(x => x.Mode, GuidanceMode.Img2Img).Add(x => x.Strength, 0.3f).Add(x => x.StrengthChanged, v => raised.Add(v)));

        Assert.Empty(cut.FindAll("[data-testid=control-scale]"));
        cut.Find("input[data-testid=strength]").Change("0.75");

        Assert.Equal([0.75f], raised);
    }

    [Fact]
    public void ControlNetShowsTheScaleSliderAndItsChangeIsRaised()
    {
        var raised = new List<float>();
        var cut = Render<SettingsPanel>(p => p.Add(x => x.Mode, GuidanceMode.ControlNet).Add(x => x.ControlScaleChanged, v => raised.Add(v)));

        cut.Find("input[data-testid=control-scale]").Change("1.5");

        Assert.Equal([1.5f], raised);
    }

    [Fact]
    public void TextModeShowsNeitherSlider()
    {
        var cut = Render<SettingsPanel>(p => p.Add(x => x.Mode, GuidanceMode.Text));

        Assert.Empty(cut.FindAll("[data-testid=control-scale]"));
        Assert.Empty(cut.FindAll("[data-testid=strength]"));
    }

    [Fact]
    public void PickingAGuidanceModeRaisesModeChangedAndUnsupportedModesAreDisabled()
    {
        var popovers = RenderPopoverProvider();
        var raised = new List<GuidanceMode>();
        var cut = Render<SettingsPanel>(p => p
            .Add(x => x.Mode, GuidanceMode.Text)
            .Add(x => x.SupportedModes, [GuidanceMode.Text, GuidanceMode.Img2Img])
            .Add(x => x.ModeChanged, v => raised.Add(v)));

        cut.Find("[data-testid=guidance-mode]").MouseDown();
        // The popover renders its items over a few render passes; wait for the ones used below (generously: CI machines are busy).
        popovers.WaitForAssertion(() =>
        {
            Assert.Single(popovers.FindAll(".mud-list-item"), i => i.TextContent.Contains("ControlNet", StringComparison.Ordinal));
            Assert.Single(popovers.FindAll(".mud-list-item"), i => i.TextContent.Contains("img2img", StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(10));
        var items = popovers.FindAll(".mud-list-item");
        var controlNet = items.Single(i => i.TextContent.Contains("ControlNet", StringComparison.Ordinal));
        Assert.Contains("mud-list-item-disabled", controlNet.ClassName);
        items.Single(i => i.TextContent.Contains("img2img", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() => Assert.Equal([GuidanceMode.Img2Img], raised), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void DisabledDisablesEveryControl()
    {
        var cut = Render<SettingsPanel>(p => p.Add(x => x.Disabled, true));

        Assert.True(cut.Find("input[data-testid=seed]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=new-seed]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=seed-lock]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=steps-1]").HasAttribute("disabled") || cut.Find("[data-testid=steps-1]").ClassName!.Contains("disabled", StringComparison.Ordinal));
    }
}
