namespace SanaSprint.Inference.Verification;

/// <summary>One component's measured calls (<see cref="ComponentBench"/>).</summary>
/// <param name="Component">What was run, e.g. "transformer step".</param>
/// <param name="Runs">Measured calls.</param>
/// <param name="MedianMs">Median wall time of one call, milliseconds.</param>
/// <param name="P90Ms">90th percentile (linear interpolation between the nearest ranks), milliseconds.</param>
public sealed record ComponentTiming(string Component, int Runs, double MedianMs, double P90Ms)
{
    /// <summary>The median and p90 of <paramref name="samplesMs"/>.</summary>
    /// <param name="component">What was run.</param>
    /// <param name="samplesMs">One wall time per call, milliseconds (at least one).</param>
    /// <returns>The timing.</returns>
    public static ComponentTiming FromSamples(string component, IReadOnlyList<double> samplesMs)
    {
        ArgumentNullException.ThrowIfNull(samplesMs);
        if (samplesMs.Count == 0) throw new ArgumentException("At least one sample is needed.", nameof(samplesMs));
        var sorted = samplesMs.Order().ToArray();
        return new ComponentTiming(component, sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.9));
    }

    private static double Percentile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
