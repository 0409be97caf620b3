namespace SanaSprint.Inference.Golden;

/// <summary>Compares computed tensors with references; shared by tests and <c>verify-golden</c>.</summary>
public static class TensorComparison
{
    /// <summary>
    /// Elementwise check |a − e| ≤ atol + rtol·|e| (numpy's <c>allclose</c>), reporting max |Δ| and max |Δ| / max |e|.
    /// </summary>
    /// <param name="name">Output name for the report.</param>
    /// <param name="actual">Computed values.</param>
    /// <param name="expected">Reference values.</param>
    /// <param name="rtol">Relative tolerance.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static GoldenComparison AllClose(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double rtol, double atol)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"'{name}': {actual.Length} computed values but {expected.Length} reference values.", nameof(actual));
        double maxAbs = 0, maxRef = 0;
        bool passed = actual.Length > 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double d = Math.Abs(a - e);
            if (double.IsNaN(d)) { d = double.PositiveInfinity; }
            if (d > maxAbs) maxAbs = d;
            if (Math.Abs(e) > maxRef) maxRef = Math.Abs(e);
            if (!(d <= atol + rtol * Math.Abs(e))) passed = false;
        }
        return new GoldenComparison(name, maxAbs, maxRef > 0 ? maxAbs / maxRef : maxAbs, Math.Max(rtol, atol), passed);
    }

    /// <summary>Relative RMS error ‖a − e‖₂ / ‖e‖₂, the measure fp16 graphs are held to.</summary>
    public static double RelativeRms(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"{actual.Length} computed values but {expected.Length} reference values.", nameof(actual));
        double num = 0, den = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
        }
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    /// <summary>A comparison held to relative RMS ≤ <paramref name="tolerance"/> (max |Δ| still reported).</summary>
    public static GoldenComparison RelativeRmsWithin(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance)
    {
        var c = AllClose(name, actual, expected, 0, 0);
        double rms = RelativeRms(actual, expected);
        return c with { Tolerance = tolerance, Passed = actual.Length > 0 && rms <= tolerance };
    }
}
