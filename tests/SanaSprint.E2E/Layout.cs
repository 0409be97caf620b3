using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>How the room page lays out and themes itself in a real browser.</summary>
[Collection(PaintingAppCollection.Name)]
public sealed class Layout(PaintingGeneratorAppFixture app)
{
    [BrowserFact]
    public async Task OnAWideScreenTheCanvasAndFrameSitSideBySideAndOnANarrowOneTheyStack()
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync();
        var room = await RoomPage.OpenAsync(context, roomId, "Wide");
        // Layout settles after the first paint (fonts, the frame box): wait for it rather than racing it.
        await room.Page.WaitForFunctionAsync(
            "() => { const c = document.querySelector('[data-testid=sketch-canvas]').getBoundingClientRect(); const f = document.querySelector('[data-testid=frame-image]').getBoundingClientRect(); return c.width > 0 && f.width > 0 && f.left >= c.right; }",
            null, new() { Timeout = RoomPage.TimeoutMs });
        var (canvas, frame) = await BoxesAsync(room.Page);
        Assert.True(frame.X >= canvas.X + canvas.Width, $"wide: the frame (x={frame.X}) should be right of the canvas (right edge {canvas.X + canvas.Width}).");
        Assert.True(Math.Abs(frame.Y - canvas.Y) < canvas.Height / 2);

        await room.Page.SetViewportSizeAsync(600, 1100);
        // Wait for the stacked layout to settle (the drawer closes with a transition) before measuring.
        await room.Page.WaitForFunctionAsync(
            "() => { const c = document.querySelector('[data-testid=sketch-canvas]').getBoundingClientRect(); const f = document.querySelector('[data-testid=frame-image]').getBoundingClientRect(); return f.top >= c.bottom && c.width > 300; }",
            null, new() { Timeout = RoomPage.TimeoutMs });
        (canvas, frame) = await BoxesAsync(room.Page);
        Assert.True(frame.Y >= canvas.Y + canvas.Height, "narrow: the frame should be below the canvas.");
        // Stacked halves of a 1100 px high screen: each square takes about a third of it (tool bars take the rest).
        Assert.True(canvas.Width > 300, $"narrow: the canvas should be a large square but is {canvas.Width}px.");
        await room.Page.ScreenshotAsync(new() { Path = Path.Combine(SketchAppFixture.ArtifactsDirectory, "room-narrow.png"), FullPage = true });
    }

    [BrowserFact]
    public async Task TheDarkModeToggleSwitchesToTheLightPalette()
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync();
        var room = await RoomPage.OpenAsync(context, roomId, "Theme");
        var dark = await BackgroundAsync(room.Page);

        await room.Page.GetByTestId("dark-mode-toggle").ClickAsync();

        await room.Page.WaitForFunctionAsync("d => getComputedStyle(document.body).backgroundColor !== d", dark, new() { Timeout = RoomPage.TimeoutMs });
        var light = await BackgroundAsync(room.Page);
        Assert.True(Luminance(light) > Luminance(dark), $"light background {light} is not lighter than dark {dark}.");
        await room.Page.ScreenshotAsync(new() { Path = Path.Combine(SketchAppFixture.ArtifactsDirectory, "room-light.png"), FullPage = true });
    }

    private static async Task<(LocatorBoundingBoxResult Canvas, LocatorBoundingBoxResult Frame)> BoxesAsync(IPage page) =>
        ((await page.GetByTestId("sketch-canvas").BoundingBoxAsync())!, (await page.GetByTestId("frame-image").BoundingBoxAsync())!);

    private static Task<string> BackgroundAsync(IPage page) => page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");

    private static double Luminance(string rgb)
    {
        var parts = rgb[(rgb.IndexOf('(') + 1)..rgb.IndexOf(')')].Split(',').Select(p => double.Parse(p.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2];
    }
}
