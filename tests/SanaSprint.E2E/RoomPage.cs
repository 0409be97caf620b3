using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>Drives one browser's room page through its <c>data-testid</c> hooks.</summary>
/// <param name="page">The page.</param>
public sealed class RoomPage(IPage page)
{
    /// <summary>How long browser-side waits may take (first circuit, first frame on 2 cores).</summary>
    public const float TimeoutMs = 30_000;

    /// <summary>The page.</summary>
    public IPage Page { get; } = page;

    /// <summary>Opens a room as <paramref name="name"/> and waits until it is joined.</summary>
    public static async Task<RoomPage> OpenAsync(IBrowserContext context, string roomId, string name, string query = "")
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync($"room/{roomId}?name={Uri.EscapeDataString(name)}{query}");
        var room = new RoomPage(page);
        await room.WaitUntilJoinedAsync();
        return room;
    }

    /// <summary>Waits for the hub connection to report "connected".</summary>
    public async Task WaitUntilJoinedAsync() =>
        await Expect(Page.GetByTestId("connection-state")).ToHaveTextAsync("connected", new() { Timeout = TimeoutMs });

    /// <summary>Draws a zig-zag mouse stroke across the canvas (press, many moves, release).</summary>
    public async Task DrawStrokeAsync(double fromX = 0.2, double fromY = 0.3, double toX = 0.8, double toY = 0.7)
    {
        var box = await Page.GetByTestId("sketch-canvas").BoundingBoxAsync() ?? throw new InvalidOperationException("the sketch canvas is not visible.");
        double X(double f) => box.X + box.Width * f;
        double Y(double f) => box.Y + box.Height * f;
        await Page.Mouse.MoveAsync((float)X(fromX), (float)Y(fromY));
        await Page.Mouse.DownAsync();
        const int segments = 24;
        for (var i = 1; i <= segments; i++)
        {
            var t = (double)i / segments;
            var wobble = (i % 2 == 0 ? 1 : -1) * 0.03;
            await Page.Mouse.MoveAsync((float)X(fromX + (toX - fromX) * t), (float)Y(fromY + (toY - fromY) * t + wobble), new() { Steps = 2 });
        }

        await Page.Mouse.UpAsync();
    }

    /// <summary>Dark pixels on the sketch canvas right now.</summary>
    public Task<int> InkPixelsAsync() => Page.EvaluateAsync<int>(InkScript);

    /// <summary>Waits until the sketch canvas holds at least <paramref name="pixels"/> dark pixels.</summary>
    public async Task WaitForInkAsync(int pixels)
    {
        try
        {
            await Page.WaitForFunctionAsync($"min => ({InkScript})() >= min", pixels, new() { Timeout = TimeoutMs, PollingInterval = 100 });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"the canvas never reached {pixels} ink pixels; it has {await InkPixelsAsync()} ({await ScreenshotAsync("timeout-ink-" + Guid.NewGuid().ToString("N")[..8])}).", ex);
        }
    }

    /// <summary>Waits until the frame image shows a decoded frame of revision ≥ <paramref name="revision"/>; returns that revision.</summary>
    public async Task<long> WaitForFrameAsync(long revision)
    {
        try
        {
            await Page.WaitForFunctionAsync(
                "r => { const i = document.querySelector('[data-testid=frame-image]'); return !!i && Number(i.dataset.revision ?? -1) >= r && i.complete && i.naturalWidth > 0; }",
                revision, new() { Timeout = TimeoutMs, PollingInterval = 100 });
        }
        catch (TimeoutException ex)
        {
            var shown = await Page.GetByTestId("frame-image").GetAttributeAsync("data-revision");
            throw new TimeoutException($"no frame of revision ≥ {revision} arrived; the page shows revision '{shown}' ({await ScreenshotAsync("timeout-frame-" + Guid.NewGuid().ToString("N")[..8])}).", ex);
        }

        return long.Parse(await Page.GetByTestId("frame-image").GetAttributeAsync("data-revision") ?? "-1");
    }

    /// <summary>Saves a full-page screenshot under TestResults/e2e and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(SketchAppFixture.ArtifactsDirectory, name + ".png");
        await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }

    private const string InkScript =
        "() => { const c = document.querySelector('[data-testid=sketch-canvas]'); if (!c || !c.width) return 0;" +
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;" +
        " for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 1] < 128 && d[i + 2] < 128) n++; return n; }";
}
