namespace SanaSprint.Inference.Pipeline;

/// <summary>Per-stage model timings of one generated image.</summary>
public sealed record StageTimings
{
    /// <summary>Prompt encoding (zero on a cache hit).</summary>
    public TimeSpan Text { get; init; }
    /// <summary>Sketch preprocessing + DC-AE encode.</summary>
    public TimeSpan ControlEncode { get; init; }
    /// <summary>Each sCM step (transformer + ControlNet + scheduler math).</summary>
    public IReadOnlyList<TimeSpan> Steps { get; init; } = [];
    /// <summary>DC-AE decode + postprocessing.</summary>
    public TimeSpan Decode { get; init; }
    /// <summary>Whole request, wall clock.</summary>
    public TimeSpan Total { get; init; }
}
