using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>
/// Two (and three) people in one room, each in their own browser context, against the real app with a painting stand-in
/// for the model so that frames flow whatever the model's state.
/// </summary>
[Collection(PaintingAppCollection.Name)]
public sealed partial class TwoUsersShareOneRoom(PaintingGeneratorAppFixture app)
{
    [BrowserFact]
    public async Task AStrokeDrawnInOneBrowserAppearsInTheOtherAndBothGetANewFrame()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync();
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");
        await Expect(alice.Page.GetByTestId("participants")).ToContainTextAsync("Bob", new() { Timeout = RoomPage.TimeoutMs });
        Assert.Equal(0, await bob.InkPixelsAsync());

        var started = System.Diagnostics.Stopwatch.StartNew();
        await alice.DrawStrokeAsync();
        var strokeMs = started.ElapsedMilliseconds;

        var drawnLocally = await alice.InkPixelsAsync();
        Assert.True(drawnLocally > 200, $"Alice's own canvas shows only {drawnLocally} ink pixels after her stroke.");
        await bob.WaitForInkAsync(drawnLocally / 2);
        var revision = Revision(roomId);
        // Begin + point batches + end, each bumping the revision; points travel at most about every 33 ms.
        Assert.InRange(revision, 3, 3 + (strokeMs / 25) + 2);

        Assert.True(await alice.WaitForFrameAsync(revision) >= revision);
        Assert.True(await bob.WaitForFrameAsync(revision) >= revision);
        foreach (var page in new[] { alice, bob })
        {
            await Expect(page.Page.GetByTestId("latency")).ToHaveAttributeAsync("data-latency-ms", NumberPattern(), new() { Timeout = RoomPage.TimeoutMs });
            await Expect(page.Page.GetByTestId("latency-value")).ToHaveTextAsync(MillisecondsPattern());
            await Expect(page.Page.GetByTestId("render-state")).ToHaveAttributeAsync("data-state", "up-to-date", new() { Timeout = RoomPage.TimeoutMs });
        }

        // The browser that drew measured its own stroke-to-frame time.
        await Expect(alice.Page.GetByTestId("latency")).ToContainTextAsync("end-to-end");
        await Expect(alice.Page.GetByTestId("demo-banner")).ToBeVisibleAsync();
        Assert.True(File.Exists(await alice.ScreenshotAsync("two-users-alice")));
        Assert.True(File.Exists(await bob.ScreenshotAsync("two-users-bob")));
    }

    [BrowserFact]
    public async Task AFastStrokeTravelsAsAFewPointBatchesNotOneCallPerPointerEvent()
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(context, roomId, "Alice");
        var before = Revision(roomId);

        // 200 pointer moves within one task: the module draws them at once and sends them in one or two batches.
        await alice.Page.EvaluateAsync("""
            () => {
                const c = document.querySelector('[data-testid=sketch-canvas]');
                const r = c.getBoundingClientRect();
                const ev = (type, i) => new PointerEvent(type, { pointerId: 7, pointerType: 'mouse', isPrimary: true, button: 0, buttons: 1,
                    clientX: r.left + r.width * (0.1 + 0.8 * i / 200), clientY: r.top + r.height * (0.5 + 0.3 * Math.sin(i / 10)), bubbles: true });
                c.dispatchEvent(ev('pointerdown', 0));
                for (let i = 1; i <= 200; i++) c.dispatchEvent(ev('pointermove', i));
                c.dispatchEvent(ev('pointerup', 200));
            }
            """);

        await alice.Page.WaitForFunctionAsync("() => true"); // let the module's invocations go out
        var stroke = await WaitForStrokeAsync(roomId);
        var bumps = Revision(roomId) - before;
        Assert.True(stroke.Points.Count > 150, $"the stroke has {stroke.Points.Count} points; expected most of the 201 sent.");
        Assert.InRange(bumps, 3, 6); // begin, one or two (maybe three) batches, end
        Assert.True(await alice.InkPixelsAsync() > 500);
    }

    [BrowserFact]
    public async Task AMovingPointerShowsAsACursorInTheOtherBrowser()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync();
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");
        await Expect(bob.Page.GetByTestId("participants")).ToContainTextAsync("Alice", new() { Timeout = RoomPage.TimeoutMs });

        var box = await alice.Page.GetByTestId("sketch-canvas").BoundingBoxAsync();
        for (var i = 0; i < 10; i++)
        {
            await alice.Page.Mouse.MoveAsync(box!.X + 50 + i * 20, box.Y + 80 + i * 10);
            await Task.Delay(60);
        }

        var cursor = bob.Page.Locator(".remote-cursor");
        await Expect(cursor).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(cursor).ToContainTextAsync("Alice");
    }

    [BrowserFact]
    public async Task APromptTypedInOneBrowserReachesTheOther()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync();
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");

        await alice.Page.GetByTestId("prompt-input").FillAsync("a red fox in the snow");

        await Expect(bob.Page.GetByTestId("prompt-input")).ToHaveValueAsync("a red fox in the snow", new() { Timeout = RoomPage.TimeoutMs });
        Assert.Equal("a red fox in the snow", Snapshot(roomId).Prompt);
    }

    [BrowserFact]
    public async Task ALateJoinerSeesTheDrawingAndTheFrame()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        await alice.DrawStrokeAsync();
        var ink = await alice.InkPixelsAsync();
        var revision = await alice.WaitForFrameAsync(Revision(roomId));

        await using var carolContext = await app.NewContextAsync();
        var carol = await RoomPage.OpenAsync(carolContext, roomId, "Carol");

        await carol.WaitForInkAsync(ink * 3 / 4);
        Assert.True(await carol.WaitForFrameAsync(revision) >= revision);
        await Expect(carol.Page.GetByTestId("participants")).ToContainTextAsync("Alice");
    }

    [BrowserFact]
    public async Task UndoRemovesOnlyTheCallersStrokeInBothBrowsers()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync();
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");
        await alice.DrawStrokeAsync(0.1, 0.1, 0.4, 0.4);
        var aliceInk = await alice.InkPixelsAsync();
        await bob.WaitForInkAsync(aliceInk * 3 / 4);
        await bob.DrawStrokeAsync(0.6, 0.6, 0.9, 0.9);
        var both = await bob.InkPixelsAsync();
        await alice.WaitForInkAsync(both * 3 / 4);

        await bob.Page.GetByTestId("undo").ClickAsync();

        // Bob's stroke goes in both browsers; Alice's stays.
        await bob.Page.WaitForFunctionAsync($"() => {{ const n = ({InkProbe})(); return n < {both * 3 / 4} && n > {aliceInk / 2}; }}", null, new() { Timeout = RoomPage.TimeoutMs });
        await alice.Page.WaitForFunctionAsync($"() => {{ const n = ({InkProbe})(); return n < {both * 3 / 4} && n > {aliceInk / 2}; }}", null, new() { Timeout = RoomPage.TimeoutMs });
        Assert.Single(Snapshot(roomId).Strokes);

        // The keyboard does the same: Ctrl+Shift+Z brings Bob's stroke back, Ctrl+Z takes it away again.
        await bob.Page.GetByTestId("sketch-canvas").FocusAsync();
        await bob.Page.Keyboard.PressAsync("Control+Shift+Z");
        await alice.Page.WaitForFunctionAsync($"() => ({InkProbe})() > {both * 3 / 4}", null, new() { Timeout = RoomPage.TimeoutMs });
        Assert.Equal(2, Snapshot(roomId).Strokes.Count);
        await bob.Page.Keyboard.PressAsync("Control+Z");
        await alice.Page.WaitForFunctionAsync($"() => ({InkProbe})() < {both * 3 / 4}", null, new() { Timeout = RoomPage.TimeoutMs });
        Assert.Single(Snapshot(roomId).Strokes);
    }

    [BrowserFact]
    public async Task TheCreateRoomButtonWorksFromTheFirstPaintAndTheCanvasTakesStrokesOnceVisible()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("");
        var before = await app.Services.GetRequiredService<IRoomDirectory>().CountRoomsAsync();

        // No waiting for the page to become interactive: the button works either way.
        await page.GetByTestId("create-room").ClickAsync();
        await page.WaitForURLAsync(RoomUrlPattern(), new() { Timeout = RoomPage.TimeoutMs });

        Assert.Equal(before + 1, await app.Services.GetRequiredService<IRoomDirectory>().CountRoomsAsync());
        var roomId = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        Assert.True(await app.Services.GetRequiredService<IRoomDirectory>().RoomExistsAsync(roomId));
        // The canvas shows only once the room is joined, so a stroke drawn as soon as it is visible reaches the room.
        await Expect(page.GetByTestId("sketch-canvas")).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await new RoomPage(page).DrawStrokeAsync();
        for (var i = 0; i < 50 && Snapshot(roomId).Strokes.Count == 0; i++) await Task.Delay(100);
        Assert.Single(Snapshot(roomId).Strokes);
        await page.ScreenshotAsync(new() { Path = Path.Combine(SketchAppFixture.ArtifactsDirectory, "room-created.png") });
    }

    [BrowserFact]
    public async Task TheCreateRoomButtonStillWorksOnceTheLobbyIsInteractive()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("");
        // The name is saved to localStorage only by the live circuit: once it is there, the lobby is interactive and
        // its form carries the token the circuit rendered.
        var saved = false;
        for (var attempt = 0; attempt < 30 && !saved; attempt++)
        {
            await page.GetByTestId("display-name").FillAsync($"Zoe {attempt}");
            await page.GetByTestId("display-name").BlurAsync();
            try
            {
                await page.WaitForFunctionAsync("k => localStorage.getItem(k) !== null", "sanasprint.displayName", new() { Timeout = 1000 });
                saved = true;
            }
            catch (TimeoutException)
            {
                // Not interactive yet: type again.
            }
        }
        Assert.True(saved, "the lobby never became interactive");

        await page.GetByTestId("create-room").ClickAsync();

        await page.WaitForURLAsync(RoomUrlPattern(), new() { Timeout = RoomPage.TimeoutMs });
        var roomId = page.Url[(page.Url.LastIndexOf('/') + 1)..];
        Assert.True(await app.Services.GetRequiredService<IRoomDirectory>().RoomExistsAsync(roomId));
    }

    [BrowserFact]
    public async Task ApplyingAPresetInTheGalleryChangesTheRoomsStyle()
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"gallery?room={roomId}");
        var card = page.Locator("[data-testid=preset-card][data-preset-id=watercolour]");
        await Expect(card).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        Assert.True(await page.GetByTestId("preset-card").CountAsync() >= 10);
        await page.ScreenshotAsync(new() { Path = Path.Combine(SketchAppFixture.ArtifactsDirectory, "gallery.png"), FullPage = true });

        for (var attempt = 0; attempt < 20 && !page.Url.Contains("/room/", StringComparison.Ordinal); attempt++)
        {
            await card.GetByTestId("apply-preset").ClickAsync();
            try
            {
                await page.WaitForURLAsync(RoomUrlPattern(), new() { Timeout = 1000 });
            }
            catch (TimeoutException)
            {
                // Not interactive yet.
            }
        }

        await new RoomPage(page).WaitUntilJoinedAsync();
        await Expect(page.GetByTestId("preset-picker")).ToContainTextAsync("Watercolour", new() { Timeout = RoomPage.TimeoutMs });
        Assert.Equal("watercolour", Snapshot(roomId).Settings.PresetId);
    }

    private const string InkProbe =
        "() => { const c = document.querySelector('[data-testid=sketch-canvas]'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;" +
        " let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 1] < 128 && d[i + 2] < 128) n++; return n; }";

    private async Task<StrokeSnapshot> WaitForStrokeAsync(string roomId)
    {
        for (var i = 0; i < 100; i++)
        {
            if (Snapshot(roomId).Strokes is [{ Ended: true } stroke]) return stroke;
            await Task.Delay(100);
        }

        throw new TimeoutException($"room {roomId} never held one finished stroke; it has {Snapshot(roomId).Strokes.Count}.");
    }

    private RoomView Snapshot(string roomId) =>
        app.Services.GetRequiredService<IRoomDirectory>().GetViewAsync(roomId).AsTask().GetAwaiter().GetResult();

    private long Revision(string roomId) => Snapshot(roomId).Revision;

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"^\d+ ms$")]
    private static partial Regex MillisecondsPattern();

    [GeneratedRegex(@"/room/[A-Za-z0-9_-]{22}")]
    private static partial Regex RoomUrlPattern();
}
