namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// The one seam between the web app (and CLI, benchmarks) and the model: turns a batch of
/// (prompt, sketch, settings) requests into images.
/// </summary>
/// <remarks>
/// Implementations are thread-safe. Requests in one call that share resolution and step count run as
/// one batched call per model component. Cancellation is honoured between stages.
/// </remarks>
public interface IImageGenerator : IModelInfo
{
    /// <summary>Generates one image per request, in request order.</summary>
    /// <param name="requests">The requests; at least one.</param>
    /// <param name="cancellationToken">Stops the run between stages.</param>
    /// <returns>One result per request, in the same order.</returns>
    /// <exception cref="ArgumentException">A request is invalid (the message names the argument).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="GeneratorUnavailableException">The model could not be loaded.</exception>
    Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default);
}

/// <summary>How the sketch guides the frame.</summary>
public enum GuidanceMode
{
    /// <summary>Prompt only; the sketch is ignored.</summary>
    Text,
    /// <summary>Sketch → scribble map → DC-AE encoder → Sana ControlNet residuals every step. Needs a ControlNet checkpoint.</summary>
    ControlNet,
    /// <summary>Sketch → DC-AE encoder → mixed with noise at a start angle from <see cref="GenerationRequest.Strength"/>. Needs only the Sprint weights.</summary>
    Img2Img,
}

/// <summary>An 8-bit RGB image, row-major, interleaved (R, G, B).</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Pixels">Width × Height × 3 bytes.</param>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    /// <summary>Checks the buffer length against the size.</summary>
    public void Validate()
    {
        if (Width <= 0 || Height <= 0) throw new ArgumentException($"image size must be positive but is {Width}x{Height}.");
        if (Pixels.Length != Width * Height * 3) throw new ArgumentException($"image buffer has {Pixels.Length} bytes; expected {Width * Height * 3} ({Width}x{Height}x3).");
    }
}

/// <summary>Prompt embeddings supplied directly (bypassing the text encoder).</summary>
/// <param name="Embeddings">[tokens, caption_channels] row-major.</param>
/// <param name="Mask">[tokens], 1 = real token, 0 = padding.</param>
/// <param name="Tokens">Number of token positions.</param>
/// <param name="Channels">caption_channels.</param>
public sealed record PromptEmbedding(float[] Embeddings, long[] Mask, int Tokens, int Channels);

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

/// <summary>The stages of one model run, in order, as reported to <see cref="GenerationRequest.StageEnded"/>.</summary>
public enum GenerationStage
{
    /// <summary>Prompt encoding (a cache hit included).</summary>
    Text,
    /// <summary>Initial latents, with sketch preprocessing and DC-AE encode in img2img and ControlNet modes.</summary>
    Prepare,
    /// <summary>One sCM step (transformer, ControlNet, scheduler math).</summary>
    Step,
    /// <summary>DC-AE decode and postprocessing: the image is ready.</summary>
    Decode,
}

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
    /// <summary>The batch's host work outside ONNX Runtime, by kind.</summary>
    public HostTimings Host { get; init; } = new();
}

/// <summary>One generated image and how long it took.</summary>
public sealed record GenerationResult(RgbImage Image, StageTimings Timings)
{
    /// <summary>The autoencoder that made the image.</summary>
    /// <remarks>Defaults to <see cref="FrameDecoder.Full"/>.</remarks>
    public FrameDecoder Decoder { get; init; } = FrameDecoder.Full;
}

/// <summary>Describes the model behind an <see cref="IImageGenerator"/>.</summary>
public sealed record GeneratorInfo
{
    /// <summary>Display name, e.g. "SANA-Sprint 0.6B" or "demo".</summary>
    public string ModelName { get; init; } = "";
    /// <summary>True when the embedded demo checkpoint is in use instead of a real one.</summary>
    public bool IsDemo { get; init; }
    /// <summary>A sentence for the UI banner when <see cref="IsDemo"/> is true.</summary>
    public string? DemoNotice { get; init; }
    /// <summary>False when frames cannot be produced (missing/corrupt checkpoint).</summary>
    public bool IsAvailable { get; init; } = true;
    /// <summary>Why frames are unavailable, when <see cref="IsAvailable"/> is false.</summary>
    public string? UnavailableReason { get; init; }
    /// <summary>Guidance modes this model supports (ControlNet only with a ControlNet checkpoint).</summary>
    public IReadOnlyList<GuidanceMode> SupportedModes { get; init; } = [GuidanceMode.Text];
    /// <summary>Execution provider in use ("CPU" or "CUDA").</summary>
    public string Provider { get; init; } = "CPU";
    /// <summary>
    /// Pixels per latent cell of the checkpoint's autoencoder (diffusers' <c>vae_scale_factor</c>, 32 for the DC-AE
    /// f32c32): frame sizes are multiples of it.
    /// </summary>
    public int VaeScaleFactor { get; init; } = 32;
}

/// <summary>Thrown when the generator has no usable model (the reason says why).</summary>
public sealed class GeneratorUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
