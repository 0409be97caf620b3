namespace SanaSprint.Inference.Pipeline;

/// <summary>One generated image and how long it took.</summary>
public sealed record GenerationResult(RgbImage Image, StageTimings Timings)
{
    /// <summary>The autoencoder that made the image.</summary>
    /// <remarks>Defaults to <see cref="FrameDecoder.Full"/>.</remarks>
    public FrameDecoder Decoder { get; init; } = FrameDecoder.Full;
}
