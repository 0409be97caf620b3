using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Tests.Sampling;

public sealed class NoiseSourceTests
{
    [Fact]
    public void SeededNoiseIsStandardNormalAndDependsOnlyOnSeedAndDraw()
    {
        var a = new float[100_001];
        var b = new float[100_001];
        SeededNoiseSource.Instance.Fill(new NoiseDraw(42, 0, 1), a);
        SeededNoiseSource.Instance.Fill(new NoiseDraw(42, 7, 1), b); // batch position does not matter
        Assert.Equal(a, b);
        double mean = a.Average(v => (double)v);
        double std = Math.Sqrt(a.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(std, 0.98, 1.02);
        Assert.InRange(a.Count(v => Math.Abs(v) > 1.96) / (double)a.Length, 0.045, 0.055);

        var otherDraw = new float[a.Length];
        var otherSeed = new float[a.Length];
        SeededNoiseSource.Instance.Fill(new NoiseDraw(42, 0, 2), otherDraw);
        SeededNoiseSource.Instance.Fill(new NoiseDraw(43, 0, 1), otherSeed);
        Assert.NotEqual(a, otherDraw);
        Assert.NotEqual(a, otherSeed);
    }

    [Theory]
    [InlineData(42L, 0, 10_001, 0x316A1FC602661965UL, 0x3FB9555Au, 0xBFE1119Eu)]
    [InlineData(-7L, 3, 5, 0x35A6F9CA51E3B01FUL, 0x3FADDFE9u, 0x3FB8A804u)]
    public void SeededNoiseKeepsItsValuesSoASeedReproducesOldFrames(long seed, int draw, int length, ulong fnv1a, uint firstBits, uint lastBits)
    {
        // Recorded from the first implementation (separate Math.Cos / Math.Sin per pair); odd lengths end on a lone cosine.
        var values = new float[length];
        SeededNoiseSource.Instance.Fill(new NoiseDraw(seed, 0, draw), values);
        ulong h = 14695981039346656037UL;
        foreach (byte b in System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) h = (h ^ b) * 1099511628211UL;
        Assert.Equal(firstBits, BitConverter.SingleToUInt32Bits(values[0]));
        Assert.Equal(lastBits, BitConverter.SingleToUInt32Bits(values[^1]));
        Assert.Equal(fnv1a, h);
    }

    [Fact]
    public void RecordedNoiseServesEachBatchPositionItsSlice()
    {
        var source = new RecordedNoiseSource(new Dictionary<int, float[]> { [0] = [1, 2, 3, 4, 5, 6] });
        var dst = new float[3];
        source.Fill(new NoiseDraw(0, 1, 0), dst);
        Assert.Equal([4f, 5f, 6f], dst);
        Assert.Throws<InvalidOperationException>(() => source.Fill(new NoiseDraw(0, 0, 1), dst));
        Assert.Throws<InvalidOperationException>(() => source.Fill(new NoiseDraw(0, 2, 0), dst));
    }
}
