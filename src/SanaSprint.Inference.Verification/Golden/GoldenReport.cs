namespace SanaSprint.Inference.Verification;

/// <summary>All comparisons of one case.</summary>
public sealed record GoldenReport(string Case, string Kind, IReadOnlyList<GoldenComparison> Comparisons)
{
    /// <summary>True when there is at least one comparison and all passed.</summary>
    public bool Passed => Comparisons.Count > 0 && Comparisons.All(c => c.Passed);
}
