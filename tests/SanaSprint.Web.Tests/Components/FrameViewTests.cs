using Bunit;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestComponents;

namespace SanaSprint.Web.Tests.Components;

public sealed class FrameViewTests : UiTestContext
{
    internal static FrameReport Frame(long revision = 5, double? e2e = 180, double server = 120, bool refinement = false) =>
        new(revision, "image/jpeg", 512, 512, 2, 99, "a cat", "demo", refinement,
            new FrameTimings(30, 4, 0, 12, [40, 41], 9, 102, 6, server, 2), e2e, 40_000);

    [Fact]
    public void DefaultValues()
    {
        var cut = Render<FrameView>();

        Assert.Null(cut.Instance.Frame);
        Assert.Equal(RenderStatus.Idle, cut.Instance.Render);
        Assert.Empty(cut.Instance.Latencies);
        Assert.Equal("idle", cut.Find("[data-testid=render-state]").GetAttribute("data-state"));
        Assert.NotNull(cut.Find("[data-testid=frame-placeholder]"));
        Assert.Contains("empty", cut.Find("img[data-testid=frame-image]").ClassName, StringComparison.Ordinal);
        Assert.Null(cut.Find("img[data-testid=frame-image]").GetAttribute("src"));
        Assert.Equal("", cut.Find("[data-testid=latency]").GetAttribute("data-latency-ms"));
        Assert.Contains("— ms", cut.Find("[data-testid=latency]").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RenderStatus.Rendering, "rendering", "Rendering")]
    [InlineData(RenderStatus.UpToDate, "up-to-date", "Up to date")]
    public void TheRenderStateIsShown(RenderStatus render, string state, string text)
    {
        var cut = Render<FrameView>(p => p.Add(x => x.Frame, Frame()).Add(x => x.Render, render));

        var badge = cut.Find("[data-testid=render-state]");
        Assert.Equal(state, badge.GetAttribute("data-state"));
        Assert.Contains(text, badge.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AFrameShowsItsEndToEndTimeAndStageTimings()
    {
        var cut = Render<FrameView>(p => p.Add(x => x.Frame, Frame(e2e: 183.4)).Add(x => x.Render, RenderStatus.UpToDate));

        Assert.Empty(cut.FindAll("[data-testid=frame-placeholder]"));
        Assert.Equal("183", cut.Find("[data-testid=latency]").GetAttribute("data-latency-ms"));
        Assert.Equal("183 ms", cut.Find("[data-testid=latency-value]").TextContent);
        Assert.Contains("end-to-end", cut.Find("[data-testid=latency]").TextContent, StringComparison.Ordinal);
        var stages = cut.Find("[data-testid=latency-stages]").TextContent;
        Assert.Contains("steps 40 + 41 ms", stages, StringComparison.Ordinal);
        Assert.Contains("model 102 ms", stages, StringComparison.Ordinal);
        Assert.Contains("batch ×2", stages, StringComparison.Ordinal);
        Assert.Contains("r5", cut.Find("[data-testid=frame-meta]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AFrameWithoutALocalChangeShowsTheServerTime()
    {
        var cut = Render<FrameView>(p => p.Add(x => x.Frame, Frame(e2e: null, server: 77)));

        Assert.Equal("77 ms", cut.Find("[data-testid=latency-value]").TextContent);
        Assert.Contains("server", cut.Find("[data-testid=latency]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSparklineHasOnePointPerRecentLatency()
    {
        var cut = Render<FrameView>(p => p.Add(x => x.Frame, Frame()).Add(x => x.Latencies, [100.0, 250, 80, 120]));

        var points = cut.Find("[data-testid=latency-sparkline] polyline").GetAttribute("points")!.Split(' ');
        Assert.Equal(4, points.Length);
        // The tallest latency sits highest (smallest y).
        var ys = points.Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(1, Array.IndexOf(ys, ys.Min()));
    }

    [Fact]
    public void ASingleLatencyDrawsNoSparkline()
    {
        var cut = Render<FrameView>(p => p.Add(x => x.Frame, Frame()).Add(x => x.Latencies, [100.0]));

        Assert.Empty(cut.FindAll("[data-testid=latency-sparkline]"));
    }
}
