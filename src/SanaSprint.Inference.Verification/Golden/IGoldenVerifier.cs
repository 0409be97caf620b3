namespace SanaSprint.Inference.Verification;

/// <summary>
/// Runs one reference case folder (see <c>shared/golden/README.md</c>) through the project's own code
/// and compares every output. Implementations are discovered by reflection, so each model family adds
/// its own verifier without touching a shared list.
/// </summary>
public interface IGoldenVerifier
{
    /// <summary>True when this verifier understands the folder (decided from its files and config, never its name).</summary>
    bool CanVerify(string caseDirectory);

    /// <summary>Runs the case and returns one comparison per output tensor.</summary>
    GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null);
}

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

/// <summary>All comparisons of one case.</summary>
public sealed record GoldenReport(string Case, string Kind, IReadOnlyList<GoldenComparison> Comparisons)
{
    /// <summary>True when there is at least one comparison and all passed.</summary>
    public bool Passed => Comparisons.Count > 0 && Comparisons.All(c => c.Passed);
}
