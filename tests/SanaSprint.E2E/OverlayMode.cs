using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>Overlay mode: the live frame under the strokes, at the opacity the person picks, on phones and tablets.</summary>
[Collection(PaintingAppCollection.Name)]
public sealed class OverlayMode(PaintingGeneratorAppFixture app)
{
    public static TheoryData<string, int, int> Devices() => new()
    {
        { "phone", 390, 844 },
        { "phone-landscape", 844, 390 },
        { "tablet-portrait", 820, 1180 },
        { "tablet-landscape", 1180, 820 },
    };

    [BrowserTheory]
    [MemberData(nameof(Devices))]
    public async Task TheFrameLiesUnderTheStrokesAtTheChosenOpacityAndBothStayInView(string name, int width, int height)
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync(PenAndTouch.Device(width, height));
        var room = await RoomPage.OpenAsync(context, roomId, "Alice");
        var page = room.Page;
        await (await DevicePointer.OpenAsync(page)).FingerStrokeAsync(0.2, 0.2, 0.8, 0.8);
        await Expect(page.GetByTestId("sketch-canvas")).ToHaveAttributeAsync("data-strokes", "1");

        await page.GetByTestId("overlay-toggle").ClickAsync();
        await Expect(page.GetByTestId("overlay-toggle")).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(page.GetByTestId("room-stage")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\boverlay\b"));
        // The slider from 50 %: Home goes to the faintest (10 %), two steps right to 20 %.
        var slider = page.GetByTestId("overlay-opacity");
        await slider.FocusAsync();
        await page.Keyboard.PressAsync("Home");
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.GetByTestId("frame-image")).ToHaveCSSAsync("opacity", "0.2", new() { Timeout = RoomPage.TimeoutMs });
        await room.WaitForFrameAsync(1);
        await AssertOverlaidAsync(room, $"{name} overlay");

        // The choice is remembered: after a reload the page opens in overlay mode at 20 %.
        await page.ReloadAsync();
        await room.WaitUntilJoinedAsync();
        await Expect(page.GetByTestId("room-stage")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\boverlay\b"), new() { Timeout = RoomPage.TimeoutMs });
        await Expect(page.GetByTestId("frame-image")).ToHaveCSSAsync("opacity", "0.2");
        await room.WaitForFrameAsync(1);
        await AssertOverlaidAsync(room, $"{name} reloaded");

        // And off again: the frame is back beside (or below) the canvas, fully opaque.
        await page.GetByTestId("overlay-toggle").ClickAsync();
        await Expect(page.GetByTestId("frame-image")).ToHaveCSSAsync("opacity", "1");
        var apart = await page.EvaluateAsync<bool>(
            "() => { const c = document.querySelector('[data-testid=sketch-canvas]').getBoundingClientRect(); const f = document.querySelector('[data-testid=frame-image]').getBoundingClientRect();" +
            " return f.left >= c.right - 1 || f.top >= c.bottom - 1; }");
        Assert.True(apart, $"{name}: with the overlay off the frame should sit beside or below the canvas.");
    }

    /// <summary>
    /// The canvas and the frame cover the same square, wholly in the viewport without scrolling; the canvas is on top and
    /// see-through where nothing is drawn, the frame under it shows a decoded picture.
    /// </summary>
    private static async Task AssertOverlaidAsync(RoomPage room, string what)
    {
        var page = room.Page;
        // The layout may still be moving (the drawer, fonts): wait until both squares coincide.
        await page.WaitForFunctionAsync(
            "() => { const c = document.querySelector('[data-testid=sketch-canvas]').getBoundingClientRect(); const f = document.querySelector('[data-testid=frame-image]').getBoundingClientRect();" +
            " return c.width > 0 && Math.abs(c.left - f.left) < 1.5 && Math.abs(c.top - f.top) < 1.5 && Math.abs(c.width - f.width) < 1.5 && Math.abs(c.height - f.height) < 1.5; }",
            null, new() { Timeout = RoomPage.TimeoutMs });
        var screenshot = await room.ScreenshotAsync("overlay-" + what.Replace(' ', '-'));
        var m = await page.EvaluateAsync<double[]>("""
            () => {
                const canvas = document.querySelector('[data-testid=sketch-canvas]'), frame = document.querySelector('[data-testid=frame-image]');
                const c = canvas.getBoundingClientRect();
                const stack = document.elementsFromPoint(c.left + c.width * 0.1, c.top + c.height * 0.9);
                // A corner pixel away from the diagonal stroke: nothing painted there.
                const alpha = canvas.getContext('2d').getImageData(Math.floor(canvas.width * 0.1), Math.floor(canvas.height * 0.9), 1, 1).data[3];
                return [c.left, c.top, c.right, c.bottom, innerWidth, innerHeight, scrollY,
                    stack.indexOf(canvas), stack.indexOf(frame), alpha, frame.naturalWidth, c.width];
            }
            """);
        string Describe() => $"{what}: canvas [{m[0]:0},{m[1]:0}–{m[2]:0},{m[3]:0}] in {m[4]}×{m[5]}, scrollY {m[6]}, stack canvas {m[7]} frame {m[8]}, alpha {m[9]}, frame width {m[10]} ({screenshot})";
        Assert.True(m[0] >= 0 && m[1] >= 0 && m[2] <= m[4] + 0.5 && m[3] <= m[5] + 0.5 && m[6] == 0, Describe());
        Assert.True(m[7] >= 0 && m[8] > m[7], Describe());
        Assert.True(m[9] == 0, Describe());
        Assert.True(m[10] > 0, Describe());
        Assert.True(m[11] >= Math.Min(m[4], m[5]) * 0.4, Describe());
    }
}
