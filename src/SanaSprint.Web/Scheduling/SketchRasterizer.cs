using SanaSprint.Inference.Caching;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Rooms;
using SkiaSharp;

namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Turns a room's strokes into the sketch image the model reads: strokes in their colours on white, scaled from canvas
/// units to the frame resolution, round caps and joins, width = width × 2 × max(pressure, 0.05) per segment (as the browser draws them).
/// </summary>
/// <remarks>
/// With a cache key (the room id) the rasteriser keeps, per room, a bitmap of the longest run of ended strokes at the bottom
/// of the stack: ended strokes never change, so a frame only draws what came after them. Any other change under that run
/// (an undo, a clear) rebuilds it. The result is the same pixels as drawing everything afresh. Up to
/// <see cref="MaxCachedRooms"/> rooms are cached, least recently used first out.
/// </remarks>
public sealed class SketchRasterizer
{
    /// <summary>How many rooms' bitmaps are kept.</summary>
    public const int MaxCachedRooms = 64;

    private readonly LruCache<string, SettledStrokes> _cache = new(MaxCachedRooms, StringComparer.Ordinal, static (_, evicted) =>
    {
        // Only the cache held it; a concurrent user holds its lock and simply re-creates the bitmap next time.
        if (!Monitor.TryEnter(evicted)) return;
        try
        {
            evicted.Bitmap?.Dispose();
            evicted.Bitmap = null;
        }
        finally
        {
            Monitor.Exit(evicted);
        }
    });

    /// <summary>Rasterises strokes.</summary>
    /// <param name="strokes">Strokes, bottom to top.</param>
    /// <param name="canvasWidth">Canvas width in canvas units.</param>
    /// <param name="canvasHeight">Canvas height in canvas units.</param>
    /// <param name="width">Output width in pixels.</param>
    /// <param name="height">Output height in pixels.</param>
    /// <param name="cacheKey">The room id, to reuse the bitmap of its ended strokes; null draws everything.</param>
    /// <returns>An RGB image of <paramref name="width"/> × <paramref name="height"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public RgbImage Rasterize(IReadOnlyList<StrokeSnapshot> strokes, int canvasWidth, int canvasHeight, int width, int height, string? cacheKey = null)
    {
        ArgumentNullException.ThrowIfNull(strokes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);

        if (cacheKey is null)
        {
            using var bitmap = Blank(info);
            Draw(bitmap, strokes, 0, strokes.Count, canvasWidth, canvasHeight);
            return ToRgb(bitmap);
        }

        var settled = _cache.GetOrAdd(cacheKey, static _ => new SettledStrokes());
        RgbImage result;
        lock (settled)
        {
            // 1. Reuse the cached bottom run when it is still the bottom of the stack, else start afresh.
            if (settled.Bitmap is null || settled.Bitmap.Info != info || settled.Canvas != (canvasWidth, canvasHeight) || !settled.IsPrefixOf(strokes))
            {
                settled.Bitmap?.Dispose();
                settled.Bitmap = Blank(info);
                settled.Canvas = (canvasWidth, canvasHeight);
                settled.Strokes.Clear();
            }

            // 2. Ended strokes right above it join the cached run.
            var from = settled.Strokes.Count;
            var to = from;
            while (to < strokes.Count && strokes[to].Ended) to++;
            Draw(settled.Bitmap, strokes, from, to, canvasWidth, canvasHeight);
            for (var i = from; i < to; i++) settled.Strokes.Add((strokes[i].Id, strokes[i].Points.Count));

            // 3. Strokes still in progress (and whatever lies above them) are drawn on a copy.
            if (to == strokes.Count)
            {
                result = ToRgb(settled.Bitmap);
            }
            else
            {
                using var frame = settled.Bitmap.Copy();
                Draw(frame, strokes, to, strokes.Count, canvasWidth, canvasHeight);
                result = ToRgb(frame);
            }
        }
        return result;
    }

    private static SKBitmap Blank(SKImageInfo info)
    {
        var bitmap = new SKBitmap(info);
        bitmap.Erase(SKColors.White);
        return bitmap;
    }

    private static void Draw(SKBitmap bitmap, IReadOnlyList<StrokeSnapshot> strokes, int from, int to, int canvasWidth, int canvasHeight)
    {
        if (from >= to) return;
        using var canvas = new SKCanvas(bitmap);
        canvas.Scale((float)bitmap.Width / canvasWidth, (float)bitmap.Height / canvasHeight);
        using var paint = new SKPaint { IsAntialias = true, StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round };
        for (var i = from; i < to; i++) DrawStroke(canvas, paint, strokes[i]);
    }

    private static RgbImage ToRgb(SKBitmap bitmap)
    {
        // RGBA → RGB in one pass over the pixel span (no per-pixel allocation).
        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[bitmap.Width * bitmap.Height * 3];
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
        return new RgbImage(bitmap.Width, bitmap.Height, rgb);
    }

    /// <summary>A room's cached bottom run of ended strokes. Guarded by its own monitor.</summary>
    private sealed class SettledStrokes
    {
        public SKBitmap? Bitmap;
        public (int Width, int Height) Canvas;
        public readonly List<(string Id, int Points)> Strokes = [];

        public bool IsPrefixOf(IReadOnlyList<StrokeSnapshot> strokes)
        {
            if (Strokes.Count > strokes.Count) return false;
            for (var i = 0; i < Strokes.Count; i++)
            {
                if (Strokes[i].Id != strokes[i].Id || Strokes[i].Points != strokes[i].Points.Count) return false;
            }
            return true;
        }
    }

    private static void DrawStroke(SKCanvas canvas, SKPaint paint, StrokeSnapshot stroke)
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
