using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Imaging;

/// <summary>
/// Images to and from the autoencoder's tensors, as diffusers' <c>image_processor.py</c> <c>VaeImageProcessor</c>:
/// a sketch resized and normalised to [−1, 1] CHW for the DC-AE encoder (<c>preprocess</c>), and the decoder's output
/// back to RGB bytes or [0, 1] floats (<c>postprocess</c>).
/// </summary>
public static class ImageProcessor
{
    /// <summary>The encoder input of an image (img2img init image): resized to the target size, RGB in [−1, 1], CHW.</summary>
    /// <param name="sketch">The canvas sketch.</param>
    /// <param name="width">Target width.</param>
    /// <param name="height">Target height.</param>
    /// <param name="destination">3 × height × width values.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Preprocess(RgbImage sketch, int width, int height, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        sketch.Validate();
        int plane = width * height;
        if (destination.Length != 3 * plane) throw new ArgumentException($"`destination` has {destination.Length} values; expected {3 * plane} (3×{height}×{width}).", nameof(destination));
        if (sketch.Width == width && sketch.Height == height)
        {
            // Same size (the usual case: the canvas is rasterised at the frame size): one pass, no resampling.
            var px = sketch.Pixels;
            for (int i = 0; i < plane; i++)
            {
                destination[i] = px[3 * i] / 127.5f - 1f;
                destination[plane + i] = px[3 * i + 1] / 127.5f - 1f;
                destination[2 * plane + i] = px[3 * i + 2] / 127.5f - 1f;
            }

            return;
        }

        for (int c = 0; c < 3; c++)
        {
            var channel = new float[sketch.Width * sketch.Height];
            for (int i = 0; i < channel.Length; i++) channel[i] = sketch.Pixels[i * 3 + c];
            var resized = Resize(channel, sketch.Width, sketch.Height, width, height);
            var dst = destination.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++) dst[i] = Math.Clamp(resized[i], 0f, 255f) / 127.5f - 1f;
        }
    }

    /// <summary>
    /// Decoder output → pixels, as diffusers' postprocess: (x / 2 + 0.5) clamped to [0, 1], × 255, rounded.
    /// </summary>
    /// <param name="chw">One image, 3 × height × width.</param>
    /// <param name="width">Width.</param>
    /// <param name="height">Height.</param>
    /// <returns>The RGB image.</returns>
    public static RgbImage Postprocess(ReadOnlySpan<float> chw, int width, int height)
    {
        int plane = width * height;
        if (chw.Length != 3 * plane) throw new ArgumentException($"decoded image has {chw.Length} values; expected {3 * plane} (3×{height}×{width}).", nameof(chw));
        // Every byte is written below, so the (large-object) pixel array need not be zeroed first.
        var pixels = GC.AllocateUninitializedArray<byte>(3 * plane);
        QuantizeInterleave(chw[..plane], chw.Slice(plane, plane), chw.Slice(2 * plane, plane), pixels);
        return new RgbImage(width, height, pixels);
    }

    /// <summary>The decoder output of one image as RGB bytes written into <paramref name="rgb"/> (see <see cref="Postprocess(ReadOnlySpan{float}, int, int)"/>).</summary>
    /// <param name="chw">Decoder output, 3×H×W in ≈[−1, 1].</param>
    /// <param name="width">W.</param>
    /// <param name="height">H.</param>
    /// <param name="rgb">Receives H×W×3 bytes.</param>
    /// <exception cref="ArgumentException">A length does not match the size.</exception>
    public static void Postprocess(ReadOnlySpan<float> chw, int width, int height, Span<byte> rgb)
    {
        int plane = width * height;
        if (chw.Length != 3 * plane || rgb.Length != 3 * plane)
            throw new ArgumentException($"decoded image has {chw.Length} values and {rgb.Length} bytes; expected {3 * plane} each (3×{height}×{width}).", nameof(chw));
        QuantizeInterleave(chw[..plane], chw.Slice(plane, plane), chw.Slice(2 * plane, plane), rgb);
    }

    /// <summary>pshufb masks that spread 16 bytes of one channel over 48 interleaved RGB bytes: [output block × 3 + channel].</summary>
    private static readonly Vector128<byte>[] InterleaveMasks = BuildInterleaveMasks();

    private static Vector128<byte>[] BuildInterleaveMasks()
    {
        var masks = new Vector128<byte>[9];
        Span<byte> m = stackalloc byte[16];
        for (int block = 0; block < 3; block++)
            for (int c = 0; c < 3; c++)
            {
                // Output byte j of the block is pixel (16·block + j) / 3, channel (16·block + j) % 3; 0x80 writes zero.
                for (int j = 0; j < 16; j++) m[j] = (16 * block + j) % 3 == c ? (byte)((16 * block + j) / 3) : (byte)0x80;
                masks[block * 3 + c] = Vector128.Create((ReadOnlySpan<byte>)m);
            }

        return masks;
    }

    /// <summary>
    /// round(clamp(x / 2 + 0.5, 0, 1) · 255) per value, computed as floor(clamp(127.5·x + 128, 0, 255.5)) (round half up),
    /// written interleaved (RGB per pixel). One pass: 16 pixels of each plane are quantised in registers and shuffled
    /// into 48 output bytes (a hot path: 1 M pixels per 1024² frame).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeInterleave(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<byte> rgb)
    {
        int i = 0, n = r.Length;
        if (Vector256.IsHardwareAccelerated && Ssse3.IsSupported)
        {
            var m = InterleaveMasks;
            Vector128<byte> r0 = m[0], g0 = m[1], b0 = m[2], r1 = m[3], g1 = m[4], b1 = m[5], r2 = m[6], g2 = m[7], b2 = m[8];
            var q = new Quantizer(Vector256.Create(127.5f), Vector256.Create(128f), Vector256.Create(255.5f));
            for (; i <= n - 16; i += 16)
            {
                var vr = q.Quantize16(r.Slice(i, 16));
                var vg = q.Quantize16(g.Slice(i, 16));
                var vb = q.Quantize16(b.Slice(i, 16));
                var o = rgb.Slice(3 * i, 48);
                (Ssse3.Shuffle(vr, r0) | Ssse3.Shuffle(vg, g0) | Ssse3.Shuffle(vb, b0)).CopyTo(o);
                (Ssse3.Shuffle(vr, r1) | Ssse3.Shuffle(vg, g1) | Ssse3.Shuffle(vb, b1)).CopyTo(o[16..]);
                (Ssse3.Shuffle(vr, r2) | Ssse3.Shuffle(vg, g2) | Ssse3.Shuffle(vb, b2)).CopyTo(o[32..]);
            }
        }

        for (; i < n; i++)
        {
            rgb[3 * i] = Quantize(r[i]);
            rgb[3 * i + 1] = Quantize(g[i]);
            rgb[3 * i + 2] = Quantize(b[i]);
        }
    }

    /// <summary>The vector form of <see cref="Quantize"/>, constants held in registers across the loop.</summary>
    private readonly record struct Quantizer(Vector256<float> Scale, Vector256<float> Offset, Vector256<float> Max)
    {
        /// <summary>
        /// 16 values → 16 bytes, exactly as <see cref="Quantize"/>: multiply, then add (no fused multiply-add). The native
        /// min/max/convert agree with the scalar form on every input: the clamp leaves [0, 255.5], and NaN gives 0 both ways.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<byte> Quantize16(ReadOnlySpan<float> src)
        {
            var a = Vector256.ConvertToInt32Native(Vector256.MinNative(Vector256.MaxNative(Vector256.Create(src[..8]) * Scale + Offset, Vector256<float>.Zero), Max));
            var c = Vector256.ConvertToInt32Native(Vector256.MinNative(Vector256.MaxNative(Vector256.Create(src.Slice(8, 8)) * Scale + Offset, Vector256<float>.Zero), Max));
            var words = Vector256.Narrow(a.AsUInt32(), c.AsUInt32());
            return Vector128.Narrow(words.GetLower(), words.GetUpper());
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Quantize(float x)
    {
        float v = x * 127.5f + 128f;
        return (byte)(int)(v < 0f ? 0f : v > 255.5f ? 255.5f : v);
    }

    /// <summary>Decoder output → NHWC floats in [0, 1] (diffusers' <c>output_type="np"</c>).</summary>
    /// <param name="chw">One image, 3 × height × width.</param>
    /// <param name="width">Width.</param>
    /// <param name="height">Height.</param>
    /// <param name="hwc">Receives height × width × 3 values.</param>
    public static void PostprocessToUnitHwc(ReadOnlySpan<float> chw, int width, int height, Span<float> hwc)
    {
        int plane = width * height;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < plane; i++)
                hwc[i * 3 + c] = Math.Clamp(chw[c * plane + i] / 2 + 0.5f, 0f, 1f);
    }

    /// <summary>Separable resize with a triangle filter widened by the scale factor when shrinking (antialiased bilinear).</summary>
    internal static float[] Resize(float[] src, int sw, int sh, int dw, int dh)
    {
        if (sw == dw && sh == dh) return src;
        var tmp = new float[dw * sh];
        for (int y = 0; y < sh; y++) Resample1D(src.AsSpan(y * sw, sw), tmp.AsSpan(y * dw, dw), 1, 1);
        var dst = new float[dw * dh];
        var column = new float[sh];
        var outColumn = new float[dh];
        for (int x = 0; x < dw; x++)
        {
            for (int y = 0; y < sh; y++) column[y] = tmp[y * dw + x];
            Resample1D(column, outColumn, 1, 1);
            for (int y = 0; y < dh; y++) dst[y * dw + x] = outColumn[y];
        }

        return dst;
    }

    private static void Resample1D(ReadOnlySpan<float> src, Span<float> dst, int srcStride, int dstStride)
    {
        int n = src.Length, m = dst.Length;
        double scale = (double)n / m;
        double support = Math.Max(1.0, scale);
        for (int j = 0; j < m; j++)
        {
            double center = (j + 0.5) * scale;
            int lo = Math.Max(0, (int)Math.Floor(center - support));
            int hi = Math.Min(n - 1, (int)Math.Ceiling(center + support));
            double sum = 0, wsum = 0;
            for (int i = lo; i <= hi; i++)
            {
                double w = 1.0 - Math.Abs((i + 0.5 - center) / support);
                if (w <= 0) continue;
                sum += w * src[i * srcStride];
                wsum += w;
            }

            dst[j * dstStride] = wsum > 0 ? (float)(sum / wsum) : src[Math.Clamp((int)center, 0, n - 1) * srcStride];
        }
    }
}
