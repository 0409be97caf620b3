namespace SanaSprint.Inference.Pipeline;

/// <summary>One generated image and how long it took.</summary>
public sealed record GenerationResult(RgbImage Image, StageTimings Timings);
