namespace SanaSprint.Inference.Verification;

/// <summary>One output compared against its reference.</summary>
/// <param name="Name">Tensor name, e.g. <c>out.sample</c>.</param>
/// <param name="MaxAbsError">max |actual − expected|.</param>
/// <param name="MaxRelError">max |actual − expected| / max |expected|.</param>
/// <param name="Tolerance">The tolerance this output is held to.</param>
/// <param name="Passed">Whether it is within tolerance (rtol·|ref| + atol elementwise unless stated).</param>
public sealed record GoldenComparison(string Name, double MaxAbsError, double MaxRelError, double Tolerance, bool Passed)
{
    /// <summary>The computed values that were compared (float tensors only), so a test can check them with its own comparison.</summary>
    public float[]? Actual { get; init; }

    /// <summary>The reference values they were compared with (float tensors only).</summary>
    public float[]? Expected { get; init; }
}
