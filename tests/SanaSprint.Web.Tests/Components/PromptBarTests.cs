using AngleSharp.Dom;
using Bunit;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Tests.TestComponents;

namespace SanaSprint.Web.Tests.Components;

public sealed class PromptBarTests : UiTestContext
{
    [Fact]
    public void DefaultValues()
    {
        var cut = Render<PromptBar>();
        var bar = cut.Instance;

        Assert.Equal("", bar.Prompt);
        Assert.Null(bar.PresetId);
        Assert.Empty(bar.Presets);
        Assert.Equal(400, bar.DebounceMs);
        Assert.Equal(1000, bar.MaxLength);
        Assert.False(bar.Disabled);
        Assert.Equal("", cut.Find("input[data-testid=prompt-input]").GetAttribute("value"));
        Assert.Equal("1000", cut.Find("input[data-testid=prompt-input]").GetAttribute("maxlength"));
    }

    [Fact]
    public void TheRoomsPromptFillsTheInput()
    {
        var cut = Render<PromptBar>(p => p.Add(x => x.Prompt, "a lighthouse"));
        IElement Input() => cut.Find("input[data-testid=prompt-input]");
        Assert.Equal("a lighthouse", Input().GetAttribute("value"));

        cut.Render(p => p.Add(x => x.Prompt, "a lighthouse at night"));

        Assert.Equal("a lighthouse at night", Input().GetAttribute("value"));
    }

    [Fact]
    public void EditingThePromptRaisesPromptChangedOnceWithTheText()
    {
        var raised = new List<string>();
        var cut = Render<PromptBar>(p => p.Add(x => x.Prompt, "a cat").Add(x => x.DebounceMs, 0).Add(x => x.PromptChanged, v => raised.Add(v)));

        cut.Find("input[data-testid=prompt-input]").Change("a cat on a red sofa");

        Assert.Equal(["a cat on a red sofa"], raised);
    }

    [Fact]
    public void SubmittingTheUnchangedPromptRaisesNothing()
    {
        var raised = new List<string>();
        var cut = Render<PromptBar>(p => p.Add(x => x.Prompt, "a cat").Add(x => x.DebounceMs, 0).Add(x => x.PromptChanged, v => raised.Add(v)));

        cut.Find("input[data-testid=prompt-input]").Change("a cat");

        Assert.Empty(raised);
    }

    [Fact]
    public void PickingAPresetRaisesPresetIdChangedWithItsId()
    {
        var popovers = RenderPopoverProvider();
        var raised = new List<string?>();
        var cut = Render<PromptBar>(p => p.Add(x => x.Presets, Catalog.Presets).Add(x => x.PresetIdChanged, v => raised.Add(v)));
        Assert.Contains("None", cut.Find("[data-testid=preset-picker]").GetAttribute("value") ?? cut.Find(".preset-picker").TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid=preset-picker]").MouseDown();
        // The popover renders its items over a few render passes; wait for all of them (generously: CI machines are busy).
        popovers.WaitForAssertion(() => Assert.Equal(Catalog.Presets.Count, popovers.FindAll(".mud-list-item").Count), TimeSpan.FromSeconds(10));
        popovers.FindAll(".mud-list-item").Single(i => i.TextContent.Trim() == "Pixel art").Click();

        cut.WaitForAssertion(() => Assert.Equal(["pixel-art"], raised), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void DisabledDisablesThePromptInput()
    {
        var cut = Render<PromptBar>(p => p.Add(x => x.Disabled, true));

        Assert.True(cut.Find("input[data-testid=prompt-input]").HasAttribute("disabled"));
    }
}
