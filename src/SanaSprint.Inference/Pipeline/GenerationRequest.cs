namespace SanaSprint.Inference.Pipeline;

/// <summary>One frame to generate.</summary>
public sealed record GenerationRequest
{
    /// <summary>The prompt text.</summary>
    public string Prompt { get; init; } = "";
    /// <summary>Output width in pixels (multiple of the autoencoder's spatial factor).</summary>
    public int Width { get; init; } = 512;
    /// <summary>Output height in pixels.</summary>
    public int Height { get; init; } = 512;
    /// <summary>sCM steps, 1–4.</summary>
    public int Steps { get; init; } = 2;
    /// <summary>Seed of the initial noise and of every re-injected noise.</summary>
    public long Seed { get; init; }
    /// <summary>How the sketch guides the frame.</summary>
    public GuidanceMode Mode { get; init; } = GuidanceMode.Text;
    /// <summary>The canvas sketch (line art, dark strokes on light background), any size; null for text only.</summary>
    public RgbImage? Sketch { get; init; }
    /// <summary>img2img strength in [0, 1]: 0 returns the sketch's latent, 1 ignores it.</summary>
    public float Strength { get; init; } = 0.6f;
    /// <summary>ControlNet conditioning scale.</summary>
    public float ControlScale { get; init; } = 1.0f;
    /// <summary>Guidance scale (embedded × 0.1).</summary>
    public float GuidanceScale { get; init; } = 4.5f;
    /// <summary>Optional precomputed prompt embedding; when null the text encoder runs (cached per prompt).</summary>
    public PromptEmbedding? Embedding { get; init; }
    /// <summary>
    /// Optional: called synchronously on the generating thread as each stage of this request's run ends, with the stage and,
    /// for <see cref="GenerationStage.Step"/>, the step's index (else 0). It runs before the next stage checks for
    /// cancellation, so a caller that cancels from inside it stops the run right there. Must be quick; what it throws
    /// ends the run.
    /// </summary>
    public Action<GenerationStage, int>? StageEnded { get; init; }
    /// <summary>
    /// Which autoencoder decodes the frame (and encodes a ControlNet sketch): <see cref="FrameDecoder.Preview"/> for live
    /// frames uses the tiny autoencoder when one is configured (<see cref="InferenceOptions.PreviewDecoderPath"/>), else
    /// the DC-AE; <see cref="GenerationResult.Decoder"/> says which one ran.
    /// </summary>
    /// <remarks>Defaults to <see cref="FrameDecoder.Full"/>.</remarks>
    public FrameDecoder Decoder { get; init; } = FrameDecoder.Full;
}
