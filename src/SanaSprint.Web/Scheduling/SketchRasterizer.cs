using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SkiaSharp;

namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Turns a room's strokes into the sketch image the model reads: strokes in their colours on white, scaled from canvas
/// units to the frame resolution, round caps and joins, width = width × 2 × max(pressure, 0.05) per segment (as the browser draws them).
/// </summary>
public sealed class SketchRasterizer
{
    /// <summary>Rasterises strokes.</summary>
    /// <param name="strokes">Strokes, bottom to top.</param>
    /// <param name="canvasWidth">Canvas width in canvas units.</param>
    /// <param name="canvasHeight">Canvas height in canvas units.</param>
    /// <param name="width">Output width in pixels.</param>
    /// <param name="height">Output height in pixels.</param>
    /// <returns>An RGB image of <paramref name="width"/> × <paramref name="height"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public RgbImage Rasterize(IReadOnlyList<StrokeData> strokes, int canvasWidth, int canvasHeight, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(strokes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);

        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            canvas.Scale((float)width / canvasWidth, (float)height / canvasHeight);
            using var paint = new SKPaint { IsAntialias = true, StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round };
            foreach (var stroke in strokes) DrawStroke(canvas, paint, stroke);
        }

        // RGBA → RGB in one pass over the pixel span (no per-pixel allocation).
        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
        return new RgbImage(width, height, rgb);
    }

    private static void DrawStroke(SKCanvas canvas, SKPaint paint, StrokeData stroke)
    {
        if (stroke.Points.Count == 0) return;
        paint.Color = SKColor.TryParse(stroke.Colour, out var colour) ? colour : SKColors.Black;
        var points = stroke.Points;
        if (points.Count == 1)
        {
            paint.Style = SKPaintStyle.Fill;
            canvas.DrawCircle(points[0].X, points[0].Y, SegmentWidth(stroke.Width, points[0].Pressure) / 2, paint);
            return;
        }
        // Runs of segments with the same width go into one path (one draw, proper joins); a width change starts a new run.
        paint.Style = SKPaintStyle.Stroke;
        using var path = new SKPathBuilder();
        var runWidth = -1f;
        var empty = true;
        for (var i = 1; i < points.Count; i++)
        {
            var (a, b) = (points[i - 1], points[i]);
            var width = SegmentWidth(stroke.Width, (a.Pressure + b.Pressure) / 2);
            if (width != runWidth)
            {
                Flush(canvas, paint, path, runWidth, ref empty);
                runWidth = width;
                path.MoveTo(a.X, a.Y);
            }
            path.LineTo(b.X, b.Y);
            empty = false;
        }
        Flush(canvas, paint, path, runWidth, ref empty);
    }

    private static void Flush(SKCanvas canvas, SKPaint paint, SKPathBuilder builder, float width, ref bool empty)
    {
        if (empty) return;
        using var path = builder.Detach();
        paint.StrokeWidth = width;
        canvas.DrawPath(path, paint);
        empty = true;
    }

    private static float SegmentWidth(float width, float pressure) => width * 2 * MathF.Max(pressure, 0.05f);
}
