namespace SanaSprint.LoadBench;

/// <summary>Percentiles as the reports print them.</summary>
internal static class BenchStats
{
    /// <summary>"p50 / p95 / mean", or n/a.</summary>
    public static string Stats(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? "n/a" : $"{P(list, 50):F1} / {P(list, 95):F1} / {list.Average():F1}";
    }

    /// <summary>The nearest-rank percentile, or NaN when empty.</summary>
    public static double P(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
