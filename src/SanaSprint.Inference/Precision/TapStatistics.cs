namespace SanaSprint.Inference.Precision;

/// <summary>The largest magnitude each tapped value reached over the runs seen so far (thread-safe).</summary>
public sealed class TapStatistics
{
    private readonly Lock _gate = new();
    private readonly Dictionary<PrecisionTap, (double MaxAbs, long NonFinite, long Runs)> _values = [];

    /// <summary>Adds one run's value of <paramref name="tap"/> (taps of different components are apart even where their value names are equal).</summary>
    /// <param name="tap">The tap.</param>
    /// <param name="values">Its elements.</param>
    public void Add(PrecisionTap tap, ReadOnlySpan<float> values)
    {
        double max = 0;
        long nonFinite = 0;
        foreach (float v in values)
        {
            if (!float.IsFinite(v)) { nonFinite++; continue; }
            double a = Math.Abs(v);
            if (a > max) max = a;
        }

        lock (_gate)
        {
            var (m, n, r) = _values.GetValueOrDefault(tap);
            _values[tap] = (Math.Max(m, max), n + nonFinite, r + 1);
        }
    }

    /// <summary>The tap's largest |x| over all runs, the count of NaN or infinite elements, and the runs seen; zeros if never seen.</summary>
    /// <param name="tap">The tap.</param>
    public (double MaxAbs, long NonFinite, long Runs) Of(PrecisionTap tap)
    {
        lock (_gate) return _values.GetValueOrDefault(tap);
    }
}
