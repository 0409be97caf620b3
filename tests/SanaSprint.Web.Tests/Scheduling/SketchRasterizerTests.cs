using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Scheduling;
using SkiaSharp;

namespace SanaSprint.Web.Tests.Scheduling;

public sealed class SketchRasterizerTests
{
    private static (byte R, byte G, byte B) Pixel(RgbImage image, int x, int y)
    {
        var i = (y * image.Width + x) * 3;
        return (image.Pixels[i], image.Pixels[i + 1], image.Pixels[i + 2]);
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(96, 32)]
    public void StrokesAreDrawnInTheirColoursOnWhiteScaledFromCanvasUnits(int width, int height)
    {
        // A horizontal red line across the middle of a 1000×500 canvas.
        var stroke = new StrokeSnapshot("s", "p1", "#ff0000", 40, [new(0, 250, 0.5f), new(1000, 250, 0.5f)], true);

        var image = new SketchRasterizer().Rasterize([stroke], 1000, 500, width, height);

        Assert.Equal((width, height), (image.Width, image.Height));
        image.Validate();
        Assert.Equal(((byte)255, (byte)0, (byte)0), Pixel(image, width / 2, height / 2));
        Assert.Equal(((byte)255, (byte)255, (byte)255), Pixel(image, width / 2, 1));
        Assert.Equal(((byte)255, (byte)255, (byte)255), Pixel(image, width / 2, height - 2));
    }

    [Fact]
    public void PressureScalesTheWidthAndASinglePointIsADot()
    {
        var light = new StrokeSnapshot("a", "p", "#000000", 10, [new(10, 10, 0.1f), new(90, 10, 0.1f)], true);
        var heavy = new StrokeSnapshot("b", "p", "#000000", 10, [new(10, 50, 1f), new(90, 50, 1f)], true);
        var dot = new StrokeSnapshot("c", "p", "#000000", 10, [new(50, 85, 0.5f)], true);

        var image = new SketchRasterizer().Rasterize([light, heavy, dot], 100, 100, 100, 100);

        int Dark(int y0, int y1) => Enumerable.Range(y0, y1 - y0).Count(y => Pixel(image, 50, y).R < 128);
        Assert.InRange(Dark(0, 30), 1, 3);      // 10 × 2 × 0.1 = 2 units
        Assert.InRange(Dark(30, 70), 19, 21);   // 10 × 2 × 1 = 20 units
        Assert.InRange(Dark(75, 100), 9, 11);   // 10 × 2 × 0.5 = 10 units
    }

    [Fact]
    public void TheCachedRoomBitmapGivesTheSamePixelsAsDrawingAfresh()
    {
        var random = new Random(7);
        StrokeSnapshot Stroke(string id, bool ended, int points) => new(id, "p", $"#{random.Next(0x1000000):x6}", random.Next(2, 30),
            [.. Enumerable.Range(0, points).Select(_ => new CanvasPoint(random.Next(0, 400), random.Next(0, 300), (float)random.NextDouble()))], ended);
        var a = Stroke("a", true, 20);
        var b = Stroke("b", true, 1);
        var c = Stroke("c", false, 5);
        var cMore = c with { Points = [.. c.Points, .. Stroke("x", false, 7).Points] };
        var cEnded = cMore with { Ended = true };
        var d = Stroke("d", true, 12);
        // Growth, a stroke in progress under an ended one, its end, an undo under the cached run, a clear, a redraw.
        List<StrokeSnapshot>[] steps = [[a], [a, b], [a, b, c], [a, b, c, d], [a, b, cMore, d], [a, b, cEnded, d], [a, cEnded, d], [], [d, a], [d, a]];
        var cached = new SketchRasterizer();

        foreach (var step in steps)
        {
            var expected = new SketchRasterizer().Rasterize(step, 400, 300, 96, 64);
            var actual = cached.Rasterize(step, 400, 300, 96, 64, cacheKey: "room");
            Assert.Equal(expected.Pixels, actual.Pixels);
        }
        // Another resolution for the same room starts afresh.
        Assert.Equal(new SketchRasterizer().Rasterize([a, d], 400, 300, 64, 64).Pixels, cached.Rasterize([a, d], 400, 300, 64, 64, "room").Pixels);
    }

    [Fact]
    public void TheCacheKeepsAtMostMaxCachedRoomsAndStillDrawsEvictedRoomsRight()
    {
        var stroke = new StrokeSnapshot("s", "p", "#000000", 5, [new(1, 1, 0.5f), new(50, 50, 0.5f)], true);
        var rasterizer = new SketchRasterizer();
        var expected = new SketchRasterizer().Rasterize([stroke], 100, 100, 32, 32).Pixels;

        for (var i = 0; i < SketchRasterizer.MaxCachedRooms + 10; i++)
            Assert.Equal(expected, rasterizer.Rasterize([stroke], 100, 100, 32, 32, $"room{i}").Pixels);

        Assert.Equal(expected, rasterizer.Rasterize([stroke], 100, 100, 32, 32, "room0").Pixels);
    }

    [Theory]
    [InlineData("jpeg", "image/jpeg")]
    [InlineData("webp", "image/webp")]
    public void FramesAreEncodedInTheConfiguredFormatAndDecodeToTheSameImage(string format, string contentType)
    {
        var pixels = new byte[32 * 16 * 3];
        for (var i = 0; i < pixels.Length; i += 3) (pixels[i], pixels[i + 1], pixels[i + 2]) = (200, 40, 90);
        var encoder = new FrameEncoder(Options.Create(new SchedulerOptions { Format = format, Quality = 95 }));

        var (bytes, type) = encoder.Encode(new RgbImage(32, 16, pixels));

        Assert.Equal(contentType, type);
        using var decoded = SKBitmap.Decode(bytes);
        Assert.Equal((32, 16), (decoded.Width, decoded.Height));
        var c = decoded.GetPixel(10, 10);
        Assert.InRange(c.Red, 190, 210);
        Assert.InRange(c.Green, 30, 50);
        Assert.InRange(c.Blue, 80, 100);
    }
}
