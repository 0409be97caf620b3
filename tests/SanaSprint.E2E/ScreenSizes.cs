using Microsoft.Playwright;

namespace SanaSprint.E2E;

/// <summary>On every common screen the whole canvas and the whole live frame are in view at once, without scrolling.</summary>
[Collection(PaintingAppCollection.Name)]
public sealed class ScreenSizes(PaintingGeneratorAppFixture app)
{
    public static TheoryData<string, int, int, bool> Screens() => new()
    {
        { "phone-small", 360, 640, true },
        { "phone", 390, 844, true },
        { "phone-landscape", 844, 390, true },
        { "phone-small-landscape", 640, 360, true },
        { "tablet-portrait", 820, 1180, true },
        { "tablet-landscape", 1180, 820, true },
        { "desktop", 1400, 900, false },
    };

    [BrowserTheory]
    [MemberData(nameof(Screens))]
    public async Task AFreshRoomShowsTheWholeCanvasAndTheWholeFrameWithoutScrolling(string name, int width, int height, bool touch)
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = touch && Math.Min(width, height) < 600,
            HasTouch = touch,
            DeviceScaleFactor = touch ? 2 : 1,
        });
        var room = await RoomPage.OpenAsync(context, roomId, "Viewer");
        // Layout settles after the first paint (fonts, the drawer on small screens): wait until both boxes have a size.
        await room.Page.WaitForFunctionAsync(
            "() => ['sketch-canvas', 'frame-image'].every(id => document.querySelector(`[data-testid=${id}]`).getBoundingClientRect().width > 0)",
            null, new() { Timeout = RoomPage.TimeoutMs });
        await room.Page.WaitForTimeoutAsync(400); // the drawer's transition (225 ms) when it closes on a small screen
        var screenshot = await room.ScreenshotAsync($"screen-{name}");

        var boxes = await room.Page.EvaluateAsync<double[]>(
            "() => { const r = id => document.querySelector(`[data-testid=${id}]`).getBoundingClientRect();" +
            " const c = r('sketch-canvas'), f = r('frame-image'); return [c.left, c.top, c.right, c.bottom, f.left, f.top, f.right, f.bottom, window.scrollY, innerWidth, innerHeight]; }");
        var (vw, vh) = (boxes[9], boxes[10]);
        string Describe() => $"{name} {width}×{height}: canvas [{boxes[0]:0},{boxes[1]:0}–{boxes[2]:0},{boxes[3]:0}], frame [{boxes[4]:0},{boxes[5]:0}–{boxes[6]:0},{boxes[7]:0}], scrollY {boxes[8]} ({screenshot})";
        Assert.True(boxes[8] == 0, Describe());
        for (var i = 0; i < 8; i += 4)
        {
            Assert.True(boxes[i] >= 0 && boxes[i + 1] >= 0 && boxes[i + 2] <= vw + 0.5 && boxes[i + 3] <= vh + 0.5, Describe());
        }

        // Each as large as the screen allows: together they take most of the short side (side by side when wide,
        // stacked when tall), not a corner of it.
        double canvasSide = Math.Min(boxes[2] - boxes[0], boxes[3] - boxes[1]);
        double frameSide = Math.Min(boxes[6] - boxes[4], boxes[7] - boxes[5]);
        double shortSide = Math.Min(vw, vh);
        Assert.True(canvasSide >= shortSide * 0.3 && frameSide >= shortSide * 0.3, Describe());
        Assert.True(Math.Abs(canvasSide - frameSide) <= 2, Describe());
    }
}
