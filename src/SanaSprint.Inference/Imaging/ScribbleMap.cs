using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Imaging;

/// <summary>
/// The ControlNet control image of a canvas sketch (dark line art on a light background): SANA ControlNet's "scribble"
/// condition, white strokes on black.
/// </summary>
/// <remarks>
/// Follows the scribble condition of NVlabs Sana's ControlNet (<c>tools/controlnet/utils.py</c>, HED edges post-processed):
/// Gaussian blur σ = 3 then every pixel above 4/255 set to white (which widens each stroke by a few pixels), then the
/// thickness rule (0: erode 4×4; 1–3: unchanged; ≥ 4: dilate with a (thickness / 2)² square). No HED network runs: a
/// canvas sketch is already line art. HED's non-maximum suppression is skipped because it only thins HED's soft, wide
/// edge responses to centre lines; binarised canvas strokes are already crisp (and NMS at threshold 127 after a σ = 3 blur
/// would erase strokes thinner than about 4 px).
/// </remarks>
public static class ScribbleMap
{
    /// <summary>σ of both Gaussian blurs of the scribble post-processing.</summary>
    public const float ScribbleSigma = 3.0f;

    /// <summary>The app's default stroke thickness (a no-op in the thickness rule).</summary>
    public const int DefaultThickness = 2;

    /// <summary>
    /// The ControlNet control image: the sketch resized to <paramref name="width"/> × <paramref name="height"/>, turned into a
    /// scribble map (white strokes on black), 3 channels in [−1, 1], CHW.
    /// </summary>
    /// <param name="sketch">The canvas sketch.</param>
    /// <param name="width">Target width.</param>
    /// <param name="height">Target height.</param>
    /// <param name="destination">3 × height × width values.</param>
    /// <param name="thickness">Stroke thickness rule (see remarks).</param>
    public static void ControlImage(RgbImage sketch, int width, int height, Span<float> destination, int thickness = DefaultThickness)
    {
        int plane = width * height;
        if (destination.Length != 3 * plane) throw new ArgumentException($"`destination` has {destination.Length} values; expected {3 * plane} (3×{height}×{width}).", nameof(destination));
        // Runs on every ControlNet frame: the map lives in a pooled buffer and one plane is written, then copied twice.
        var map = ArrayPool<bool>.Shared.Rent(plane);
        try
        {
            Compute(sketch, width, height, thickness, map.AsSpan(0, plane));
            var first = destination[..plane];
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                // bool (0/1) → ±1f: the sign bit of −1f cleared for true.
                var minusOne = Vector256.Create(-1f).AsUInt32();
                var bytes = MemoryMarshal.AsBytes(map.AsSpan(0, plane));
                for (; i <= plane - 16; i += 16)
                {
                    var (lo, hi) = Vector128.Widen(Vector128.Create(bytes.Slice(i, 16)));
                    var (a, b) = Vector128.Widen(lo);
                    var (c, d) = Vector128.Widen(hi);
                    (minusOne ^ (Vector256.Create(a, b) << 31)).AsSingle().CopyTo(first.Slice(i, 8));
                    (minusOne ^ (Vector256.Create(c, d) << 31)).AsSingle().CopyTo(first.Slice(i + 8, 8));
                }
            }

            for (; i < plane; i++) first[i] = map[i] ? 1f : -1f;
            first.CopyTo(destination.Slice(plane, plane));
            first.CopyTo(destination.Slice(2 * plane, plane));
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(map);
        }
    }

    /// <summary>The scribble map (true = white stroke) at the target size.</summary>
    /// <param name="sketch">The canvas sketch.</param>
    /// <param name="width">Target width.</param>
    /// <param name="height">Target height.</param>
    /// <param name="thickness">Stroke thickness rule.</param>
    /// <returns>height × width booleans, row-major.</returns>
    public static bool[] Compute(RgbImage sketch, int width, int height, int thickness = DefaultThickness)
    {
        var map = new bool[width * height];
        Compute(sketch, width, height, thickness, map);
        return map;
    }

    private static void Compute(RgbImage sketch, int width, int height, int thickness, Span<bool> map)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        sketch.Validate();
        int n = width * height;
        var strokes = ArrayPool<float>.Shared.Rent(n);
        var tmp = ArrayPool<float>.Shared.Rent(n);
        var rowUsed = ArrayPool<bool>.Shared.Rent(height);
        try
        {
            // 1. Invert and binarise: strokes (dark) → 1, background → 0.
            if (sketch.Width == width && sketch.Height == height)
            {
                Binarize(sketch.Pixels, strokes.AsSpan(0, n));
            }
            else
            {
                var gray = ImageProcessor.Resize(Luma(sketch), sketch.Width, sketch.Height, width, height);
                for (int i = 0; i < n; i++) strokes[i] = gray[i] < 127.5f ? 1f : 0f;
            }

            // 2. GaussianBlur(σ = 3), then map[map > 4] = 255 (4/255 of a full stroke), row by row.
            var k = GaussianKernel(ScribbleSigma);
            BlurRows(strokes, width, height, k, tmp, rowUsed);
            for (int y = 0; y < height; y++) BlurThresholdRow(tmp, width, height, k, rowUsed, y, map.Slice(y * width, width));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(strokes);
            ArrayPool<float>.Shared.Return(tmp);
            ArrayPool<bool>.Shared.Return(rowUsed);
        }

        // 3. Thickness.
        if (thickness == 0) Morph(map.ToArray(), width, height, 4, erode: true).CopyTo(map);
        else if (thickness > 1 && thickness / 2 > 1) Morph(map.ToArray(), width, height, thickness / 2, erode: false).CopyTo(map);
    }

    /// <summary>Dark pixels (luma below 127.5) → 1, others → 0; all-white runs of 16 pixels, the bulk of a sketch, skip the luma.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Binarize(ReadOnlySpan<byte> px, Span<float> strokes)
    {
        int i = 0, n = strokes.Length;
        while (i < n)
        {
            if (i <= n - 16 && Vector256.Create(px.Slice(3 * i, 32)) == Vector256<byte>.AllBitsSet && Vector128.Create(px.Slice(3 * i + 32, 16)) == Vector128<byte>.AllBitsSet)
            {
                strokes.Slice(i, 16).Clear();
                i += 16;
                continue;
            }

            for (int end = Math.Min(n, i + 16); i < end; i++)
            {
                byte r = px[3 * i], g = px[3 * i + 1], b = px[3 * i + 2];
                strokes[i] = 0.299f * r + 0.587f * g + 0.114f * b < 127.5f ? 1f : 0f;
            }
        }
    }

    /// <summary>
    /// Vertical blur pass and threshold for output row y: map[x] = (Σ_t k[t] · tmp[reflect(y + t), x]) · 255 &gt; 4, summed
    /// from 0 in tap order with empty rows skipped (the same additions as <see cref="BlurColumn"/>), eight columns in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlurThresholdRow(float[] tmp, int w, int h, float[] k, bool[] rowUsed, int y, Span<bool> map)
    {
        int radius = k.Length / 2, taps = 0;
        Span<int> offsets = stackalloc int[k.Length];
        Span<float> weights = stackalloc float[k.Length];
        for (int t = -radius; t <= radius; t++)
        {
            int sy = Reflect(y + t, h);
            if (!rowUsed[sy]) continue;
            offsets[taps] = sy * w;
            weights[taps++] = k[t + radius];
        }

        if (taps == 0)
        {
            map.Clear();
            return;
        }

        var src = tmp.AsSpan(0, w * h);
        int x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(255f);
            var limit = Vector256.Create(4f);
            var bools = MemoryMarshal.AsBytes(map);
            // Four independent sums per tap keep the adds from waiting on each other.
            for (; x <= w - 32; x += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int j = 0; j < taps; j++)
                {
                    var kj = Vector256.Create(weights[j]);
                    // offsets[j] + x + 32 ≤ offsets[j] + w ≤ w·h = src.Length: the loads stay inside src.
                    ref float row = ref Unsafe.Add(ref MemoryMarshal.GetReference(src), offsets[j] + x);
                    a0 += kj * Vector256.LoadUnsafe(ref row);
                    a1 += kj * Vector256.LoadUnsafe(ref row, 8);
                    a2 += kj * Vector256.LoadUnsafe(ref row, 16);
                    a3 += kj * Vector256.LoadUnsafe(ref row, 24);
                }

                ulong m0 = SpreadBits[Vector256.GreaterThan(a0 * scale, limit).ExtractMostSignificantBits()];
                ulong m1 = SpreadBits[Vector256.GreaterThan(a1 * scale, limit).ExtractMostSignificantBits()];
                ulong m2 = SpreadBits[Vector256.GreaterThan(a2 * scale, limit).ExtractMostSignificantBits()];
                ulong m3 = SpreadBits[Vector256.GreaterThan(a3 * scale, limit).ExtractMostSignificantBits()];
                var o = bools.Slice(x, 32);
                MemoryMarshal.Write(o, m0);
                MemoryMarshal.Write(o[8..], m1);
                MemoryMarshal.Write(o[16..], m2);
                MemoryMarshal.Write(o[24..], m3);
            }

            for (; x <= w - 8; x += 8)
            {
                var acc = Vector256<float>.Zero;
                for (int j = 0; j < taps; j++) acc += Vector256.Create(weights[j]) * Vector256.Create(src.Slice(offsets[j] + x, 8));
                MemoryMarshal.Write(bools.Slice(x, 8), SpreadBits[Vector256.GreaterThan(acc * scale, limit).ExtractMostSignificantBits()]);
            }
        }

        for (; x < w; x++)
        {
            float acc = 0f;
            for (int j = 0; j < taps; j++) acc += weights[j] * src[offsets[j] + x];
            map[x] = acc * 255f > 4f;
        }
    }

    /// <summary>Byte i of entry b is bit i of b: eight comparison bits → eight bools.</summary>
    private static readonly ulong[] SpreadBits = [.. Enumerable.Range(0, 256).Select(b => Enumerable.Range(0, 8).Aggregate(0UL, (a, i) => a | ((ulong)((b >> i) & 1) << (8 * i))))];

    private static float[] Luma(RgbImage image)
    {
        var g = new float[image.Width * image.Height];
        var p = image.Pixels;
        for (int i = 0; i < g.Length; i++) g[i] = 0.299f * p[3 * i] + 0.587f * p[3 * i + 1] + 0.114f * p[3 * i + 2];
        return g;
    }

    /// <summary>
    /// Separable Gaussian blur with OpenCV's 8-bit kernel size (2·round(3σ)+1 taps) and reflected borders. The horizontal
    /// pass scatters only non-zero pixels (sketch maps are sparse) and the vertical pass is vectorised and skips empty rows:
    /// this runs on every ControlNet frame, so it must stay a small fraction of a model run.
    /// </summary>
    internal static float[] GaussianBlur(float[] src, int w, int h, float sigma)
    {
        var k = GaussianKernel(sigma);
        var tmp = new float[src.Length];
        var rowUsed = new bool[h];
        BlurRows(src, w, h, k, tmp, rowUsed);
        var result = new float[src.Length];
        for (int y = 0; y < h; y++) BlurColumn(tmp, w, h, k, rowUsed, y, result.AsSpan(y * w, w));
        return result;
    }

    /// <summary>The normalised kernel, 2·round(3σ)+1 taps.</summary>
    private static float[] GaussianKernel(float sigma)
    {
        int radius = (int)MathF.Round(sigma * 3);
        var k = new float[2 * radius + 1];
        float sum = 0;
        for (int i = -radius; i <= radius; i++) sum += k[i + radius] = MathF.Exp(-(i * i) / (2 * sigma * sigma));
        for (int i = 0; i < k.Length; i++) k[i] /= sum;
        return k;
    }

    /// <summary>
    /// Horizontal pass: tmp[y, x + t] += k[t] · src[y, x] for every non-zero src pixel (reflection folds taps back inside).
    /// <paramref name="tmp"/> (w × h values) and <paramref name="rowUsed"/> (h values) are cleared here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlurRows(float[] src, int w, int h, float[] k, float[] tmp, bool[] rowUsed)
    {
        int radius = k.Length / 2;
        tmp.AsSpan(0, w * h).Clear();
        rowUsed.AsSpan(0, h).Clear();
        // The kernel zero-padded to whole vectors, for 0/1 maps (the scribble's): a padding tap adds 0 · 1 = +0 to a sum
        // that is +0 or positive, which changes nothing (a negative or NaN value would).
        float[]? kPad = null;
        if (Vector256.IsHardwareAccelerated && MemoryMarshal.Cast<float, int>(src.AsSpan(0, w * h)).IndexOfAnyExcept(0, 0x3F800000) < 0)
        {
            kPad = new float[(k.Length + 7) / 8 * 8];
            k.CopyTo(kPad, 0);
        }

        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            var srcRow = src.AsSpan(row, w);
            // Whole stretches of background are skipped a vector at a time (as bits: a −0 found this way scatters zeros).
            var srcBits = MemoryMarshal.Cast<float, int>(srcRow);
            int x = 0;
            while (x < w)
            {
                int next = srcBits[x..].IndexOfAnyExcept(0);
                if (next < 0) break;
                x += next;
                float v = srcRow[x];
                rowUsed[y] = true;
                if (x >= radius && x + radius < w)
                {
                    if (kPad is not null && row + x - radius + kPad.Length <= w * h)
                    {
                        var dst = tmp.AsSpan(row + x - radius, kPad.Length);
                        var kv = kPad.AsSpan();
                        for (int t = 0; t < kPad.Length; t += 8)
                            (Vector256.Create(dst.Slice(t, 8)) + Vector256.Create(kv.Slice(t, 8)) * v).CopyTo(dst.Slice(t, 8));
                    }
                    else
                    {
                        var dst = tmp.AsSpan(row + x - radius, k.Length);
                        for (int t = 0; t < k.Length; t++) dst[t] += k[t] * v;
                    }
                }
                else
                {
                    // Output o reads input Reflect(o + t); scatter to every o whose tap lands on x.
                    for (int o = Math.Max(0, x - 2 * radius - 1); o <= Math.Min(w - 1, x + 2 * radius + 1); o++)
                        for (int t = -radius; t <= radius; t++)
                            if (Reflect(o + t, w) == x) tmp[row + o] += k[t + radius] * v;
                }

                x++;
            }
        }
    }

    /// <summary>Vertical pass for output row y: dst += Σ_t k[t] · tmp[reflect(y + t)], t ascending, empty rows skipped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlurColumn(float[] tmp, int w, int h, float[] k, bool[] rowUsed, int y, Span<float> dst)
    {
        int radius = k.Length / 2;
        for (int t = -radius; t <= radius; t++)
        {
            int sy = Reflect(y + t, h);
            if (!rowUsed[sy]) continue;
            MultiplyAdd(tmp.AsSpan(sy * w, w), k[t + radius], dst);
        }
    }

    /// <summary>dst += a · x, vectorised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd(ReadOnlySpan<float> x, float a, Span<float> dst)
    {
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var va = new System.Numerics.Vector<float>(a);
            int n = System.Numerics.Vector<float>.Count;
            for (; i <= x.Length - n; i += n)
                (new System.Numerics.Vector<float>(dst.Slice(i)) + va * new System.Numerics.Vector<float>(x.Slice(i))).CopyTo(dst.Slice(i));
        }

        for (; i < x.Length; i++) dst[i] += a * x[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Reflect(int i, int n)
    {
        if (n == 1) return 0;
        while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
        return i;
    }

    private static bool[] Morph(bool[] src, int w, int h, int size, bool erode)
    {
        var dst = new bool[src.Length];
        int a = (size - 1) / 2; // OpenCV anchor at the kernel centre
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool acc = erode;
                for (int dy = 0; dy < size && acc == erode; dy++)
                    for (int dx = 0; dx < size; dx++)
                    {
                        int yy = y + dy - a, xx = x + dx - a;
                        bool v = yy >= 0 && yy < h && xx >= 0 && xx < w ? src[yy * w + xx] : erode;
                        if (erode ? !v : v) { acc = !erode; break; }
                    }

                dst[y * w + x] = acc;
            }

        return dst;
    }
}
