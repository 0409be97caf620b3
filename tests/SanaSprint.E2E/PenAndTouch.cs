using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>
/// Fingers and pens on phones and tablets, with real touch and pen input (<see cref="DevicePointer"/>), a second browser
/// on a desktop watching what reaches the room.
/// </summary>
[Collection(PaintingAppCollection.Name)]
public sealed class PenAndTouch(PaintingGeneratorAppFixture app)
{
    /// <summary>Red, the colour of the sentinel strokes (a swatch).</summary>
    private const string Sentinel = "#dc2626";

    public static TheoryData<string, int, int> Devices() => new()
    {
        { "phone", 390, 844 },
        { "tablet-portrait", 820, 1180 },
        { "tablet-landscape", 1180, 820 },
    };

    /// <summary>A touch device's context: touch events, a mobile viewport on phones, a 2× screen.</summary>
    public static BrowserNewContextOptions Device(int width, int height) => new()
    {
        ViewportSize = new ViewportSize { Width = width, Height = height },
        IsMobile = Math.Min(width, height) < 600,
        HasTouch = true,
        DeviceScaleFactor = 2,
    };

    [BrowserTheory]
    [MemberData(nameof(Devices))]
    public async Task AFingerStrokeDrawsReachesTheOtherBrowserAndNeitherScrollsNorZoomsThePage(string name, int width, int height)
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync(Device(width, height));
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");
        var canvas = alice.Page.GetByTestId("sketch-canvas");
        // The page is taller than the screen (the settings follow the stage), so a finger dragged down could scroll it.
        Assert.True(await alice.Page.EvaluateAsync<bool>("() => document.documentElement.scrollHeight > innerHeight"), $"{name}: the page does not scroll at all.");
        Assert.Equal("none", await canvas.EvaluateAsync<string>("c => getComputedStyle(c).touchAction"));
        // Zoom stays allowed for the page: the viewport neither fixes the scale nor forbids scaling.
        var viewport = await alice.Page.Locator("meta[name=viewport]").GetAttributeAsync("content") ?? "";
        Assert.DoesNotContain("user-scalable", viewport, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("maximum-scale", viewport, StringComparison.OrdinalIgnoreCase);

        var finger = await DevicePointer.OpenAsync(alice.Page);
        await finger.FingerStrokeAsync(0.5, 0.15, 0.5, 0.85); // straight down: a scroll, were the page to take it

        await Expect(bob.Page.GetByTestId("sketch-canvas")).ToHaveAttributeAsync("data-strokes", "1", new() { Timeout = RoomPage.TimeoutMs });
        var stroke = Assert.Single((await WaitForStrokesAsync(roomId, s => s.Count == 1 && s[0].Ended)));
        Assert.True(stroke.Points.Count >= 10, $"{name}: the stroke has {stroke.Points.Count} points.");
        await bob.WaitForInkAsync(50);
        Assert.True(await alice.InkPixelsAsync() > 50, $"{name}: the finger drew nothing on its own canvas.");
        Assert.Equal(0, await alice.Page.EvaluateAsync<double>("() => scrollY"));
        Assert.Equal(1, await alice.Page.EvaluateAsync<double>("() => visualViewport.scale"));
    }

    [BrowserFact]
    public async Task OnceAPenIsInUseAFingerDoesNotDrawUntilPenOnlyIsTurnedOff()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync(Device(820, 1180));
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");
        var input = await DevicePointer.OpenAsync(alice.Page);
        await Expect(alice.Page.GetByTestId("pen-only-toggle")).ToHaveAttributeAsync("aria-pressed", "true");

        await input.PenStrokeAsync(0.1, 0.2, 0.4, 0.3);
        await WaitForStrokesAsync(roomId, s => s.Count == 1 && s[0].Ended);
        await Expect(alice.Page.GetByTestId("sketch-canvas")).ToHaveAttributeAsync("data-pen", "in-use");

        // A finger (a palm) on the canvas, then a red pen stroke as the sentinel: the room gets the pen strokes in the
        // order Alice made them, so once the sentinel is there, a finger stroke would be too.
        await input.FingerStrokeAsync(0.2, 0.5, 0.8, 0.6);
        await alice.Page.GetByTestId($"colour-{Sentinel[1..]}").ClickAsync();
        await input.PenStrokeAsync(0.6, 0.8, 0.9, 0.9);
        var strokes = await WaitForStrokesAsync(roomId, s => s.Any(x => x.Colour == Sentinel && x.Ended));
        Assert.Equal(2, strokes.Count);
        await bob.Page.WaitForFunctionAsync($"() => ({RedPixels})() > 20", null, new() { Timeout = RoomPage.TimeoutMs });
        Assert.Equal("2", await bob.Page.GetByTestId("sketch-canvas").GetAttributeAsync("data-strokes"));
        Assert.Equal("2", await alice.Page.GetByTestId("sketch-canvas").GetAttributeAsync("data-strokes"));

        // Turned off, fingers draw beside the pen; the choice outlives a reload.
        await alice.Page.GetByTestId("pen-only-toggle").ClickAsync();
        await Expect(alice.Page.GetByTestId("pen-only-toggle")).ToHaveAttributeAsync("aria-pressed", "false");
        await input.FingerStrokeAsync(0.2, 0.5, 0.8, 0.6);
        await WaitForStrokesAsync(roomId, s => s.Count == 3 && s.All(x => x.Ended));
        await Expect(bob.Page.GetByTestId("sketch-canvas")).ToHaveAttributeAsync("data-strokes", "3", new() { Timeout = RoomPage.TimeoutMs });

        await alice.Page.ReloadAsync();
        await alice.WaitUntilJoinedAsync();
        await Expect(alice.Page.GetByTestId("pen-only-toggle")).ToHaveAttributeAsync("aria-pressed", "false", new() { Timeout = RoomPage.TimeoutMs });
    }

    [BrowserFact]
    public async Task ATwoFingerTapUndoesTheLastStrokeAndDrawsNothing()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync(Device(390, 844));
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");
        var finger = await DevicePointer.OpenAsync(alice.Page);
        await finger.FingerStrokeAsync(0.1, 0.2, 0.4, 0.4);
        await finger.FingerStrokeAsync(0.6, 0.6, 0.9, 0.9);
        var drawn = await WaitForStrokesAsync(roomId, s => s.Count == 2 && s.All(x => x.Ended));
        await Expect(bob.Page.GetByTestId("sketch-canvas")).ToHaveAttributeAsync("data-strokes", "2", new() { Timeout = RoomPage.TimeoutMs });

        await finger.TwoFingerTapAsync();

        // The second stroke goes; had either finger of the tap drawn a dot, the undo would have taken the dot instead.
        var left = await WaitForStrokesAsync(roomId, s => s.Count == 1);
        Assert.Equal(drawn[0].Id, left[0].Id);
        await Expect(bob.Page.GetByTestId("sketch-canvas")).ToHaveAttributeAsync("data-strokes", "1", new() { Timeout = RoomPage.TimeoutMs });
        await Expect(alice.Page.GetByTestId("sketch-canvas")).ToHaveAttributeAsync("data-strokes", "1", new() { Timeout = RoomPage.TimeoutMs });
    }

    [BrowserFact]
    public async Task APinchOnTheCanvasNeitherZoomsNorDrawsWhileThePageElsewhereStillZooms()
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync(Device(390, 844));
        var alice = await RoomPage.OpenAsync(context, roomId, "Alice");
        var fingers = await DevicePointer.OpenAsync(alice.Page);
        var canvas = alice.Page.GetByTestId("sketch-canvas");

        await fingers.PinchOutAsync(canvas);
        // A stroke after the pinch is the sentinel: once it is on the canvas, the pinch before it has been handled.
        await fingers.FingerStrokeAsync(0.2, 0.2, 0.8, 0.8);
        await Expect(canvas).ToHaveAttributeAsync("data-strokes", "1", new() { Timeout = RoomPage.TimeoutMs });
        Assert.Equal(1, await alice.Page.EvaluateAsync<double>("() => visualViewport.scale"));
        Assert.Single(await WaitForStrokesAsync(roomId, s => s.Count >= 1 && s.All(x => x.Ended)));

        // The same pinch on the room's header zooms the page: zoom stays available for reading.
        await fingers.PinchOutAsync(alice.Page.Locator(".room-header"));
        await alice.Page.WaitForFunctionAsync("() => visualViewport.scale > 1.5", null, new() { Timeout = RoomPage.TimeoutMs });
    }

    /// <summary>Red pixels on the sketch canvas (the sentinel's colour).</summary>
    private const string RedPixels =
        "() => { const c = document.querySelector('[data-testid=sketch-canvas]'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;" +
        " let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] < 100 && d[i + 2] < 100) n++; return n; }";

    /// <summary>Polls the room until its strokes satisfy <paramref name="done"/>; returns them.</summary>
    private async Task<IReadOnlyList<StrokeSnapshot>> WaitForStrokesAsync(string roomId, Func<IReadOnlyList<StrokeSnapshot>, bool> done)
    {
        var rooms = app.Services.GetRequiredService<IRoomDirectory>();
        IReadOnlyList<StrokeSnapshot> strokes = [];
        for (var i = 0; i < RoomPage.TimeoutMs / 100; i++)
        {
            strokes = (await rooms.GetViewAsync(roomId)).Strokes;
            if (done(strokes)) return strokes;
            await Task.Delay(100);
        }

        throw new TimeoutException($"room {roomId} never reached the expected strokes; it has {strokes.Count}: {string.Join(", ", strokes.Select(s => $"{s.Colour} ({s.Points.Count} points, ended {s.Ended})"))}.");
    }
}
