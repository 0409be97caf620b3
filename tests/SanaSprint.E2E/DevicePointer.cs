using Microsoft.Playwright;

namespace SanaSprint.E2E;

/// <summary>
/// Real touch and pen input on a page's sketch canvas through the Chrome DevTools Protocol: <c>Input.dispatchTouchEvent</c>
/// (touchStart, touchMove, touchEnd, as a finger makes them) and <c>Input.dispatchMouseEvent</c> with
/// <c>pointerType: "pen"</c>. The browser turns them into pointer events exactly as it does for a device
/// (https://chromedevtools.github.io/devtools-protocol/tot/Input/).
/// </summary>
public sealed class DevicePointer
{
    private readonly IPage _page;
    private readonly ICDPSession _cdp;

    private DevicePointer(IPage page, ICDPSession cdp)
    {
        _page = page;
        _cdp = cdp;
    }

    /// <summary>Opens a DevTools session on <paramref name="page"/>.</summary>
    public static async Task<DevicePointer> OpenAsync(IPage page) => new(page, await page.Context.NewCDPSessionAsync(page));

    /// <summary>A finger stroke across the canvas from one fraction of its box to another, in many small moves.</summary>
    public async Task FingerStrokeAsync(double fromX, double fromY, double toX, double toY)
    {
        var path = await PathAsync(fromX, fromY, toX, toY);
        await TouchAsync("touchStart", [path[0]]);
        foreach (var p in path.Skip(1)) await TouchAsync("touchMove", [p]);
        await TouchAsync("touchEnd", []);
    }

    /// <summary>Two fingers down at once at two points of the canvas and up again, without moving.</summary>
    public async Task TwoFingerTapAsync()
    {
        var box = await CanvasBoxAsync();
        var a = new Point(box.X + box.Width * 0.4, box.Y + box.Height * 0.5, 0);
        var b = new Point(box.X + box.Width * 0.6, box.Y + box.Height * 0.5, 1);
        await TouchAsync("touchStart", [a, b]);
        await TouchAsync("touchEnd", []);
    }

    /// <summary>Two fingers spread apart from 20 to 240 CSS pixels around the centre of <paramref name="target"/> (a pinch to zoom in).</summary>
    public async Task PinchOutAsync(ILocator target)
    {
        var box = await target.BoundingBoxAsync() ?? throw new InvalidOperationException("the pinch target is not visible.");
        var (x, y) = (box.X + box.Width / 2, box.Y + box.Height / 2);
        Point[] Fingers(double half) => [new(x - half, y, 0), new(x + half, y, 1)];
        await TouchAsync("touchStart", Fingers(10));
        for (var half = 12; half <= 120; half += 2) await TouchAsync("touchMove", Fingers(half));
        await TouchAsync("touchEnd", []);
    }

    /// <summary>A pen stroke across the canvas (pressed, moved with the tip down, released).</summary>
    public async Task PenStrokeAsync(double fromX, double fromY, double toX, double toY)
    {
        var path = await PathAsync(fromX, fromY, toX, toY);
        await PenAsync("mousePressed", path[0], 1);
        foreach (var p in path.Skip(1)) await PenAsync("mouseMoved", p, 1);
        await PenAsync("mouseReleased", path[^1], 0);
    }

    private async Task<Point[]> PathAsync(double fromX, double fromY, double toX, double toY)
    {
        var box = await CanvasBoxAsync();
        const int segments = 20;
        return [.. Enumerable.Range(0, segments + 1).Select(i =>
        {
            var t = (double)i / segments;
            var wobble = (i % 2 == 0 ? 1 : -1) * 0.02;
            return new Point(box.X + box.Width * (fromX + (toX - fromX) * t + wobble), box.Y + box.Height * (fromY + (toY - fromY) * t), 0);
        })];
    }

    private async Task<LocatorBoundingBoxResult> CanvasBoxAsync() =>
        await _page.GetByTestId("sketch-canvas").BoundingBoxAsync() ?? throw new InvalidOperationException("the sketch canvas is not visible.");

    private Task TouchAsync(string type, IReadOnlyList<Point> points) => _cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object>
    {
        ["type"] = type,
        ["touchPoints"] = points.Select(p => new Dictionary<string, object> { ["x"] = p.X, ["y"] = p.Y, ["id"] = p.Id, ["radiusX"] = 4, ["radiusY"] = 4, ["force"] = 1 }).ToArray(),
    });

    private Task PenAsync(string type, Point p, int buttons) => _cdp.SendAsync("Input.dispatchMouseEvent", new Dictionary<string, object>
    {
        ["type"] = type,
        ["x"] = p.X,
        ["y"] = p.Y,
        ["button"] = "left",
        ["buttons"] = buttons,
        ["clickCount"] = 1,
        ["force"] = 0.6,
        ["pointerType"] = "pen",
    });

    private readonly record struct Point(double X, double Y, int Id);
}
