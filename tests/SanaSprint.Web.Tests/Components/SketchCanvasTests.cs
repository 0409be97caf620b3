using Bunit;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Tests.TestComponents;

namespace SanaSprint.Web.Tests.Components;

public sealed class SketchCanvasTests : UiTestContext
{
    [Fact]
    public void DefaultValues()
    {
        var cut = Render<SketchCanvas>();

        Assert.Equal(CanvasTool.Default, cut.Instance.Tool);
        Assert.Equal(new CanvasTool("brush", "#1f1f1f", 6f), cut.Instance.Tool);
        Assert.False(cut.Instance.Disabled);
        Assert.NotNull(cut.Find("canvas[data-testid=sketch-canvas]"));
        Assert.Equal("true", cut.Find("[data-testid=colour-1f1f1f]").GetAttribute("aria-checked"));
        Assert.Contains("mud-toggle-item-selected", cut.Find("[data-testid=tool-brush]").ClassName, StringComparison.Ordinal);
        Assert.Equal("6", cut.Find("input[data-testid=brush-size]").GetAttribute("value"));
        Assert.Empty(cut.FindAll("[data-testid=clear-confirm]"));
    }

    [Fact]
    public void PickingTheEraserRaisesToolChanged()
    {
        var raised = new List<CanvasTool>();
        var cut = Render<SketchCanvas>(p => p.Add(x => x.ToolChanged, t => raised.Add(t)));

        cut.Find("[data-testid=tool-eraser]").Click();

        Assert.Equal([new CanvasTool("eraser", "#1f1f1f", 6f)], raised);
        Assert.True(raised[0].IsEraser);
    }

    [Fact]
    public void PickingASwatchSelectsTheBrushInThatColour()
    {
        var raised = new List<CanvasTool>();
        var cut = Render<SketchCanvas>(p => p.Add(x => x.Tool, new CanvasTool("eraser", "#1f1f1f", 10f)).Add(x => x.ToolChanged, t => raised.Add(t)));

        cut.Find("[data-testid=colour-dc2626]").Click();

        Assert.Equal([new CanvasTool("brush", "#dc2626", 10f)], raised);
        Assert.Equal("true", cut.Find("[data-testid=colour-dc2626]").GetAttribute("aria-checked"));
    }

    [Fact]
    public void TheSizeSliderRaisesToolChangedWithTheSize()
    {
        var raised = new List<CanvasTool>();
        var cut = Render<SketchCanvas>(p => p.Add(x => x.ToolChanged, t => raised.Add(t)));

        cut.Find("input[data-testid=brush-size]").Change("20");

        Assert.Equal([new CanvasTool("brush", "#1f1f1f", 20f)], raised);
    }

    [Fact]
    public void UndoAndRedoButtonsRaiseTheirCallbacks()
    {
        var calls = new List<string>();
        var cut = Render<SketchCanvas>(p => p.Add(x => x.OnUndo, () => calls.Add("undo")).Add(x => x.OnRedo, () => calls.Add("redo")));

        cut.Find("[data-testid=undo]").Click();
        cut.Find("[data-testid=redo]").Click();
        cut.Find("[data-testid=undo]").Click();

        Assert.Equal(["undo", "redo", "undo"], calls);
    }

    [Fact]
    public void ClearAsksFirstAndOnlyClearsWhenConfirmed()
    {
        var cleared = 0;
        var cut = Render<SketchCanvas>(p => p.Add(x => x.OnClear, () => cleared++));

        cut.Find("[data-testid=clear]").Click();
        Assert.Equal(0, cleared);
        cut.Find("[data-testid=clear-no]").Click();
        Assert.Equal(0, cleared);
        Assert.Empty(cut.FindAll("[data-testid=clear-confirm]"));

        cut.Find("[data-testid=clear]").Click();
        cut.Find("[data-testid=clear-yes]").Click();

        Assert.Equal(1, cleared);
        Assert.Empty(cut.FindAll("[data-testid=clear-confirm]"));
    }

    [Fact]
    public void TheOverlayToggleRaisesPreferencesAndShowsTheOpacitySliderOnlyWhenOn()
    {
        var raised = new List<DrawingPreferences>();
        var cut = Render<SketchCanvas>(p => p.Add(x => x.PreferencesChanged, v => raised.Add(v)));
        Assert.Equal("false", cut.Find("[data-testid=overlay-toggle]").GetAttribute("aria-pressed"));
        Assert.Empty(cut.FindAll("[data-testid=overlay-opacity]"));

        cut.Find("[data-testid=overlay-toggle]").Click();

        Assert.Equal([DrawingPreferences.Default with { Overlay = true }], raised);
        Assert.Equal("true", cut.Find("[data-testid=overlay-toggle]").GetAttribute("aria-pressed"));
        Assert.Equal("50", cut.Find("input[data-testid=overlay-opacity]").GetAttribute("value"));

        cut.Find("input[data-testid=overlay-opacity]").Input("30");

        Assert.Equal(DrawingPreferences.Default with { Overlay = true, OverlayOpacity = 30 }, raised[^1]);
    }

    [Fact]
    public void ThePenOnlyToggleTurnsPalmRejectionOffAndOn()
    {
        var raised = new List<DrawingPreferences>();
        var cut = Render<SketchCanvas>(p => p.Add(x => x.PreferencesChanged, v => raised.Add(v)));
        Assert.Equal("true", cut.Find("[data-testid=pen-only-toggle]").GetAttribute("aria-pressed"));

        cut.Find("[data-testid=pen-only-toggle]").Click();
        Assert.Equal("false", cut.Find("[data-testid=pen-only-toggle]").GetAttribute("aria-pressed"));
        cut.Find("[data-testid=pen-only-toggle]").Click();

        Assert.Equal([false, true], raised.Select(p => p.PenOnly));
    }

    [Fact]
    public void TheUndoAndRedoTooltipsNameTheirShortcuts()
    {
        var cut = Render<SketchCanvas>();

        var tooltips = cut.FindComponents<MudBlazor.MudTooltip>().Select(t => t.Instance.Text ?? "").ToList();

        Assert.Contains(tooltips, t => t.StartsWith("Undo", StringComparison.Ordinal) && t.Contains("Ctrl+Z", StringComparison.Ordinal) && t.Contains("two fingers", StringComparison.Ordinal));
        Assert.Contains(tooltips, t => t.StartsWith("Redo", StringComparison.Ordinal) && t.Contains("Ctrl+Shift+Z", StringComparison.Ordinal) && t.Contains("Ctrl+Y", StringComparison.Ordinal));
    }

    [Fact]
    public void DisabledDisablesTheTools()
    {
        var cut = Render<SketchCanvas>(p => p.Add(x => x.Disabled, true));

        Assert.True(cut.Find("[data-testid=undo]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=clear]").HasAttribute("disabled"));
        Assert.True(cut.Find("[data-testid=colour-dc2626]").HasAttribute("disabled"));
    }
}
