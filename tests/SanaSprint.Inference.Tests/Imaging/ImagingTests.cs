using SanaSprint.Inference.Imaging;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Tests.Pipeline;

namespace SanaSprint.Inference.Tests.Imaging;

public sealed class ImagingTests
{
    [Fact]
    public void PostprocessQuantisesLikeDiffusers()
    {
        const int w = 37, h = 11; // odd sizes exercise the SIMD tail
        var rng = new Random(3);
        var chw = new float[3 * w * h];
        for (int i = 0; i < chw.Length; i++) chw[i] = (float)(rng.NextDouble() * 3 - 1.5);
        chw[0] = float.NegativeInfinity;
        chw[1] = float.PositiveInfinity;
        var img = ImageProcessor.Postprocess(chw, w, h);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < w * h; i++)
            {
                double exact = Math.Clamp(chw[c * w * h + i] / 2.0 + 0.5, 0, 1) * 255;
                // Round half up; at most one level from numpy's round-half-even, and only at exact halves.
                Assert.InRange(img.Pixels[i * 3 + c] - exact, -0.5 - 1e-4, 0.5 + 1e-4);
            }

        Assert.Equal(0, img.Pixels[0]);
        Assert.Equal(255, img.Pixels[3]);
    }

    [Fact]
    public void PostprocessGivesEveryPixelTheScalarRoundingBitForBit()
    {
        // 1037 pixels: 64 SIMD blocks of 16 and a 13-pixel scalar tail; values around every level, halves included.
        const int w = 61, h = 17;
        var rng = new Random(9);
        var chw = new float[3 * w * h];
        for (int i = 0; i < chw.Length; i++)
            chw[i] = i % 5 == 0 ? (rng.Next(-2, 258) + 0.5f - 128f) / 127.5f : (float)(rng.NextDouble() * 2.4 - 1.2);
        chw[7] = float.NegativeInfinity;
        chw[w * h + 8] = float.PositiveInfinity;
        var img = ImageProcessor.Postprocess(chw, w, h);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < w * h; i++)
            {
                float v = chw[c * w * h + i] * 127.5f + 128f;
                Assert.Equal((byte)(int)Math.Clamp(v, 0f, 255.5f), img.Pixels[i * 3 + c]);
            }
    }

    [Fact]
    public void ScribbleMapTurnsDarkStrokesIntoWiderWhiteStrokesOnBlack()
    {
        var sketch = SanaSprintPipelineTests.Sketch(64, 1); // vertical dark line at x = 31..33 on white
        var map = ScribbleMap.Compute(sketch, 64, 64);
        Assert.True(map[32 * 64 + 32]);       // on the stroke
        Assert.True(map[32 * 64 + 36]);       // widened by the σ = 3 blur and the > 4 threshold
        Assert.False(map[32 * 64 + 50]);      // far away stays black
        Assert.False(map[32 * 64 + 5]);
    }

    [Theory]
    [InlineData(23, 17)]
    [InlineData(130, 70)]
    public void SparseBlurEqualsTheDenseSeparableGaussianWithReflectedBorders(int w, int h)
    {
        var rng = new Random(w);
        var src = new float[w * h];
        for (int i = 0; i < src.Length; i++) src[i] = rng.NextDouble() < 0.1 ? 1f : 0f;
        src[0] = 1f; src[w - 1] = 1f; src[(h - 1) * w] = 1f; // corners exercise the reflected taps
        var fast = ScribbleMap.GaussianBlur(src, w, h, 3f);

        const int r = 9;
        var k = Enumerable.Range(-r, 2 * r + 1).Select(i => Math.Exp(-i * i / 18.0)).ToArray();
        double ks = k.Sum();
        int Refl(int i, int n) { while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1; return i; }
        var tmp = new double[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                tmp[y * w + x] = Enumerable.Range(-r, 2 * r + 1).Sum(t => k[t + r] / ks * src[y * w + Refl(x + t, w)]);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double expected = Enumerable.Range(-r, 2 * r + 1).Sum(t => k[t + r] / ks * tmp[Refl(y + t, h) * w + x]);
                Assert.True(Math.Abs(expected - fast[y * w + x]) < 1e-5, $"({x}, {y}): {fast[y * w + x]} vs {expected}");
            }
    }

    [Theory]
    [InlineData(77, 45)]   // odd width: the 32-, 8- and 1-column paths of the vertical pass, strokes touching the borders
    [InlineData(256, 64)]
    public void ScribbleMapIsTheThresholdedBlurOfTheBinarisedSketchBitForBit(int w, int h)
    {
        var rng = new Random(w);
        var px = new byte[w * h * 3];
        Array.Fill(px, (byte)255);
        for (int s = 0; s < 25; s++)
        {
            int x0 = rng.Next(w), y0 = rng.Next(h), dx = rng.Next(-1, 2), dy = rng.Next(-1, 2);
            for (int t = 0; t < 30; t++)
            {
                int x = Math.Clamp(x0 + t * dx, 0, w - 1), y = Math.Clamp(y0 + t * dy, 0, h - 1), i = (y * w + x) * 3;
                px[i] = (byte)rng.Next(0, 200); px[i + 1] = (byte)rng.Next(0, 256); px[i + 2] = (byte)rng.Next(0, 160); // grey and coloured ink
            }
        }

        px[0] = px[1] = px[2] = 0; // a corner pixel
        var sketch = new RgbImage(w, h, px);
        var strokes = new float[w * h];
        for (int i = 0; i < strokes.Length; i++) strokes[i] = 0.299f * px[3 * i] + 0.587f * px[3 * i + 1] + 0.114f * px[3 * i + 2] < 127.5f ? 1f : 0f;
        var blurred = ScribbleMap.GaussianBlur(strokes, w, h, ScribbleMap.ScribbleSigma);
        var map = ScribbleMap.Compute(sketch, w, h);
        for (int i = 0; i < map.Length; i++) Assert.True(map[i] == blurred[i] * 255f > 4f, $"pixel {i}");

        var control = new float[3 * w * h];
        ScribbleMap.ControlImage(sketch, w, h, control);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < map.Length; i++) Assert.Equal(map[i] ? 1f : -1f, control[c * w * h + i]);
    }

    [Fact]
    public void ThicknessErodesAtZeroAndDilatesAboveThree()
    {
        var sketch = SanaSprintPipelineTests.Sketch(64, 0);
        int Count(int thickness) => ScribbleMap.Compute(sketch, 64, 64, thickness).Count(v => v);
        Assert.Equal(Count(1), Count(2));
        Assert.True(Count(0) < Count(2));
        Assert.True(Count(8) > Count(2));
    }

    [Fact]
    public void ControlImageIsThreeEqualChannelsOfPlusMinusOne()
    {
        var dst = new float[3 * 32 * 32];
        ScribbleMap.ControlImage(SanaSprintPipelineTests.Sketch(100, 2), 32, 32, dst);
        Assert.All(dst, v => Assert.True(v == 1f || v == -1f));
        Assert.Equal(dst.AsSpan(0, 1024).ToArray(), dst.AsSpan(2048, 1024).ToArray());
        Assert.Contains(1f, dst);
        Assert.Contains(-1f, dst);
    }

    [Fact]
    public void PreprocessMapsWhiteToOneAndBlackToMinusOne()
    {
        var dst = new float[3 * 64 * 64];
        ImageProcessor.Preprocess(SanaSprintPipelineTests.Sketch(64, 1), 64, 64, dst);
        Assert.Equal(1f, dst[0], 5);
        Assert.Equal(-1f, dst[32 * 64 + 32], 5);
    }
}
