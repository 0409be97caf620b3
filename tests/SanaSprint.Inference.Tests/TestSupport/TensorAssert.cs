using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.TestSupport;

/// <summary>
/// The tests' own tensor comparison, written apart from <see cref="TensorComparer"/>: golden tests re-check every
/// compared tensor here instead of trusting a verifier's <c>Passed</c> flag alone, so a comparison bug cannot pass in
/// both places.
/// </summary>
internal static class TensorAssert
{
    /// <summary>The float32 tolerance golden references are held to (rtol = atol).</summary>
    public const double Fp32 = 1e-4;

    /// <summary>Fails unless every element satisfies |a − e| ≤ atol + rtol·|e| (NaN never does) and the lengths agree.</summary>
    public static void AllClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol = Fp32, double atol = Fp32, string name = "tensor")
    {
        Assert.True(expected.Length > 0, $"{name}: no reference values.");
        Assert.True(expected.Length == actual.Length, $"{name}: {actual.Length} values, expected {expected.Length}.");
        int outside = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (Math.Abs(a - e) <= atol + rtol * Math.Abs(e)) continue;
            outside++;
            if (first < 0) first = i;
        }

        Assert.True(outside == 0, $"{name}: {outside} of {expected.Length} values differ by more than {atol} + {rtol}·|e|; first at [{first}]: {(first < 0 ? 0 : actual[first])} vs {(first < 0 ? 0 : expected[first])}.");
    }

    /// <summary>True when <see cref="AllClose"/> would pass (for tests that expect a difference).</summary>
    public static bool IsClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol)
    {
        if (expected.Length != actual.Length || expected.Length == 0) return false;
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs((double)actual[i] - expected[i]) <= atol + rtol * Math.Abs((double)expected[i]))) return false;
        return true;
    }

    /// <summary>Relative RMS error ‖a − e‖₂ / ‖e‖₂.</summary>
    public static double RelativeRms(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double num = 0, den = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            num += d * d;
            den += (double)expected[i] * expected[i];
        }

        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    /// <summary>
    /// Re-checks a golden report: every float comparison with the tests' own <see cref="AllClose"/> (or, given
    /// <paramref name="relativeRms"/>, a relative RMS bound, as fp16 graphs are held to); comparisons without tensors (exact
    /// token ids) must have passed. The report must compare something.
    /// </summary>
    public static void Holds(GoldenReport report, double rtol = Fp32, double atol = Fp32, double? relativeRms = null)
    {
        Assert.NotEmpty(report.Comparisons);
        foreach (var c in report.Comparisons)
        {
            if (c.Actual is null || c.Expected is null)
            {
                Assert.True(c.Passed, $"{report.Case}: {c.Name} failed.");
                continue;
            }

            if (relativeRms is { } bound)
            {
                double rms = RelativeRms(c.Expected, c.Actual);
                Assert.True(rms <= bound, $"{report.Case}: {c.Name} has relative RMS error {rms:E2}, above {bound:E0}.");
            }
            else
            {
                AllClose(c.Expected, c.Actual, rtol, atol, $"{report.Case}: {c.Name}");
            }
        }
    }
}
