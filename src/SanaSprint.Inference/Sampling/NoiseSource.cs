namespace SanaSprint.Inference.Sampling;

/// <summary>Identifies one standard-normal draw of a generation.</summary>
/// <param name="Seed">The request's seed.</param>
/// <param name="BatchIndex">Position of the request in the batched call (golden injection uses it; seeded noise ignores it).</param>
/// <param name="Draw">0 = initial latent noise; k + 1 = the noise drawn by scheduler step k.</param>
public readonly record struct NoiseDraw(long Seed, int BatchIndex, int Draw);

/// <summary>
/// The seam through which the pipeline gets all its random numbers: the initial latent noise and the noise the
/// scheduler re-injects at each step. The default is <see cref="SeededNoiseSource"/>; tests inject recorded noise.
/// </summary>
public interface INoiseSource
{
    /// <summary>Fills <paramref name="destination"/> (one sample's latent) with standard-normal values.</summary>
    /// <param name="draw">Which draw.</param>
    /// <param name="destination">One latent, C × h × w values.</param>
    void Fill(NoiseDraw draw, Span<float> destination);
}

/// <summary>
/// Deterministic standard-normal noise from (seed, draw, element index) alone: a counter-based SplitMix64 hash feeds
/// Box–Muller. The same seed gives the same noise on every machine, in any batch position and at any thread count.
/// </summary>
public sealed class SeededNoiseSource : INoiseSource
{
    /// <summary>The shared instance (stateless).</summary>
    public static SeededNoiseSource Instance { get; } = new();

    /// <inheritdoc />
    public void Fill(NoiseDraw draw, Span<float> destination)
    {
        ulong key = Mix((ulong)draw.Seed ^ 0x9E3779B97F4A7C15UL) ^ Mix(((ulong)(uint)draw.Draw << 32) | 0x5851F42DUL);
        for (int i = 0; i < destination.Length; i += 2)
        {
            ulong r = Mix(key + (ulong)(i >> 1) * 0xBF58476D1CE4E5B9UL);
            // Two 26/27-bit uniforms in (0, 1] and [0, 1).
            double u1 = ((r >> 38) + 1) * (1.0 / (1UL << 26));
            double u2 = ((r >> 11) & ((1UL << 27) - 1)) * (1.0 / (1UL << 27));
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            double angle = 2.0 * Math.PI * u2;
            destination[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < destination.Length) destination[i + 1] = (float)(radius * Math.Sin(angle));
        }
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Noise taken from recorded tensors (golden tests): one [B, C, h, w] tensor per draw, indexed by batch position.</summary>
/// <param name="draws">Draw index → the batch's noise, row-major.</param>
public sealed class RecordedNoiseSource(IReadOnlyDictionary<int, float[]> draws) : INoiseSource
{
    /// <inheritdoc />
    public void Fill(NoiseDraw draw, Span<float> destination)
    {
        if (!draws.TryGetValue(draw.Draw, out var all))
            throw new InvalidOperationException($"No recorded noise for draw {draw.Draw} (recorded: {string.Join(", ", draws.Keys.Order())}).");
        int n = destination.Length;
        if ((long)(draw.BatchIndex + 1) * n > all.Length)
            throw new InvalidOperationException($"Recorded noise for draw {draw.Draw} has {all.Length} values; batch index {draw.BatchIndex} needs {(draw.BatchIndex + 1) * n}.");
        all.AsSpan(draw.BatchIndex * n, n).CopyTo(destination);
    }
}
