namespace SanaSprint.Inference.Verification;

/// <summary>Compares computed tensors with their references: the one comparison every golden verifier and the CLI use.</summary>
public static class TensorComparer
{
    /// <summary>The project's float32 tolerance (rtol = atol = 1e-4).</summary>
    public const double DefaultTolerance = 1e-4;

    /// <summary>
    /// Elementwise |a − e| ≤ atol + rtol·|e|, as numpy's <c>allclose</c> (NaN is never close), reporting max |Δ| and
    /// max |Δ| / max |e|.
    /// </summary>
    /// <param name="name">Output name for the report.</param>
    /// <param name="actual">Computed values.</param>
    /// <param name="expected">Reference values.</param>
    /// <param name="rtol">Relative tolerance.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <returns>
    /// The comparison, carrying copies of both tensors (<see cref="GoldenComparison.Actual"/>, <see cref="GoldenComparison.Expected"/>).
    /// Unlike numpy, a length mismatch fails (the name then says both lengths) instead of broadcasting, and so does an
    /// empty tensor: comparing nothing proves nothing.
    /// </returns>
    public static GoldenComparison AllClose(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double rtol = DefaultTolerance, double atol = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (actual.Length != expected.Length)
            return new GoldenComparison($"{name} ({actual.Length} values, expected {expected.Length})", double.PositiveInfinity, double.PositiveInfinity, Math.Max(rtol, atol), false)
            {
                Actual = actual.ToArray(),
                Expected = expected.ToArray(),
            };
        double maxAbs = 0, maxRef = 0;
        bool passed = actual.Length > 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double d = Math.Abs(a - e);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            if (d > maxAbs) maxAbs = d;
            if (Math.Abs(e) > maxRef) maxRef = Math.Abs(e);
            if (!(d <= atol + rtol * Math.Abs(e))) passed = false;
        }

        return new GoldenComparison(name, maxAbs, maxRef > 0 ? maxAbs / maxRef : maxAbs, Math.Max(rtol, atol), passed)
        {
            Actual = actual.ToArray(),
            Expected = expected.ToArray(),
        };
    }

    /// <summary>Relative RMS error ‖a − e‖₂ / ‖e‖₂ (‖a − e‖₂ when e is zero), the measure fp16 graphs are held to.</summary>
    /// <param name="actual">Computed values.</param>
    /// <param name="expected">Reference values.</param>
    /// <returns>The error.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
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
    /// <param name="name">Output name for the report.</param>
    /// <param name="actual">Computed values.</param>
    /// <param name="expected">Reference values.</param>
    /// <param name="tolerance">The largest relative RMS error that passes.</param>
    /// <returns>The comparison; a length mismatch or an empty tensor fails it.</returns>
    public static GoldenComparison RelativeRmsWithin(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance)
    {
        var c = AllClose(name, actual, expected, 0, 0);
        if (actual.Length != expected.Length) return c with { Tolerance = tolerance };
        double rms = RelativeRms(actual, expected);
        return c with { Tolerance = tolerance, Passed = actual.Length > 0 && rms <= tolerance };
    }
}
