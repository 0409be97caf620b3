using SanaSprint.Inference.Golden;

namespace SanaSprint.Inference.Sampling;

/// <summary>Elementwise comparison of a computed tensor with its golden reference (|a − e| ≤ rtol·|e| + atol).</summary>
public static class GoldenTensorComparer
{
    /// <summary>The project's float32 tolerance (rtol = atol = 1e-4).</summary>
    public const double DefaultTolerance = 1e-4;

    /// <summary>Compares <paramref name="actual"/> with <paramref name="expected"/>.</summary>
    /// <param name="name">Tensor name for the report.</param>
    /// <param name="actual">Computed values.</param>
    /// <param name="expected">Reference values.</param>
    /// <param name="rtol">Relative tolerance.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <returns>The comparison; a length mismatch or a non-finite value fails it.</returns>
    public static GoldenComparison Compare(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double rtol = DefaultTolerance, double atol = DefaultTolerance)
    {
        if (actual.Length != expected.Length)
            return new GoldenComparison($"{name} (length {actual.Length}, expected {expected.Length})", double.PositiveInfinity, double.PositiveInfinity, atol, false);
        double maxAbs = 0, maxRef = 0;
        bool ok = true;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], e = expected[i];
            double d = Math.Abs(a - e);
            if (double.IsNaN(d)) { ok = false; maxAbs = double.NaN; continue; }
            if (d > maxAbs) maxAbs = d;
            if (Math.Abs(e) > maxRef) maxRef = Math.Abs(e);
            if (d > rtol * Math.Abs(e) + atol) ok = false;
        }

        double rel = maxRef > 0 ? maxAbs / maxRef : maxAbs;
        return new GoldenComparison(name, maxAbs, rel, atol, ok);
    }
}
