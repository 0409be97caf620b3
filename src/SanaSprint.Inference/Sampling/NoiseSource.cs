using System.Runtime.CompilerServices;

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
    /// <remarks>
    /// Optimised from the first call (it runs for every frame, so tier-0 code would show in the first frames): one
    /// <see cref="Math.SinCos"/> per pair, which gives the same bits as separate <see cref="Math.Sin"/> and
    /// <see cref="Math.Cos"/> calls (the C library computes both with the same routine; the test pins the values).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Fill(NoiseDraw draw, Span<float> destination)
    {
        ulong key = Mix((ulong)draw.Seed ^ 0x9E3779B97F4A7C15UL) ^ Mix(((ulong)(uint)draw.Draw << 32) | 0x5851F42DUL);
        int pairs = destination.Length / 2;
        for (int p = 0; p < pairs; p++)
        {
            var (cos, sin) = Pair(key, p);
            destination[2 * p] = cos;
            destination[2 * p + 1] = sin;
        }

        if (destination.Length % 2 != 0) destination[^1] = Pair(key, pairs).Cos;
    }

    /// <summary>Pair <paramref name="index"/> of standard-normal values (Box–Muller on two uniforms from one hash).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Cos, float Sin) Pair(ulong key, int index)
    {
        ulong r = Mix(key + (ulong)index * 0xBF58476D1CE4E5B9UL);
        // Two 26/27-bit uniforms in (0, 1] and [0, 1).
        double u1 = ((r >> 38) + 1) * (1.0 / (1UL << 26));
        double u2 = ((r >> 11) & ((1UL << 27) - 1)) * (1.0 / (1UL << 27));
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return ((float)(radius * cos), (float)(radius * sin));
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
