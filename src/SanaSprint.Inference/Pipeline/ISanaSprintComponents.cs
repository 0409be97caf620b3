using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Pipeline;

/// <summary>Static facts about a loaded checkpoint that the pipeline needs.</summary>
public sealed record SanaSprintModelInfo
{
    /// <summary>Display name.</summary>
    public string ModelName { get; init; } = "";

    /// <summary>Latent channels (transformer <c>in_channels</c>, DC-AE <c>latent_channels</c>).</summary>
    public int LatentChannels { get; init; }

    /// <summary>Pixels per latent cell: 2^(len(encoder_block_out_channels) − 1).</summary>
    public int VaeScaleFactor { get; init; }

    /// <summary>DC-AE <c>scaling_factor</c> (0.41407).</summary>
    public float ScalingFactor { get; init; }

    /// <summary>Transformer <c>guidance_embeds_scale</c> (0.1).</summary>
    public float GuidanceEmbedsScale { get; init; } = ScmScheduler.DefaultGuidanceEmbedsScale;

    /// <summary>Transformer <c>caption_channels</c> (width of prompt embeddings).</summary>
    public int CaptionChannels { get; init; }

    /// <summary>True when a ControlNet is loaded.</summary>
    public bool HasControlNet { get; init; }

    /// <summary>True when the DC-AE encoder graph is available (ControlNet and img2img).</summary>
    public bool HasEncoder { get; init; }

    /// <summary>True when prompts can be encoded from text.</summary>
    public bool HasTextEncoder { get; init; }

    /// <summary>The scheduler config.</summary>
    public ScmSchedulerConfig Scheduler { get; init; } = new();
}

/// <summary>One batched transformer call.</summary>
/// <param name="HiddenStates">x_in, [B, C, h, w].</param>
/// <param name="Batch">B.</param>
/// <param name="Height">h (latent cells).</param>
/// <param name="Width">w (latent cells).</param>
/// <param name="Timestep">Flow time t' per sample, [B].</param>
/// <param name="Guidance">Embedded guidance per sample, [B].</param>
/// <param name="PromptEmbeds">[B, L, caption_channels].</param>
/// <param name="Tokens">L.</param>
/// <param name="PromptMask">[B, L], 1 = real token.</param>
/// <param name="ControlBlocks">ControlNet residuals (already × conditioning scale), or null.</param>
public sealed record TransformerCall(float[] HiddenStates, int Batch, int Height, int Width, float[] Timestep, float[] Guidance,
    float[] PromptEmbeds, int Tokens, long[] PromptMask, IReadOnlyList<float[]>? ControlBlocks);

/// <summary>One batched ControlNet call (same inputs as the transformer, plus the control latent).</summary>
/// <param name="Step">The transformer inputs of this step.</param>
/// <param name="ControlLatent">DC-AE encoder output × scaling_factor, [B, C, h, w].</param>
/// <param name="ConditioningScale">Per-sample conditioning scale, [B].</param>
public sealed record ControlNetCall(TransformerCall Step, float[] ControlLatent, float[] ConditioningScale);

/// <summary>
/// The model components of one loaded checkpoint as the pipeline calls them (ONNX sessions in production, see
/// <c>OnnxSanaSprintComponents</c>). Implementations are thread-safe.
/// </summary>
public interface ISanaSprintComponents : IDisposable
{
    /// <summary>Facts about the checkpoint.</summary>
    SanaSprintModelInfo Info { get; }

    /// <summary>Name of the execution provider running the graphs ("CPU" or "CUDA").</summary>
    string Provider { get; }

    /// <summary>Encodes prompt texts into embeddings (<see cref="SanaSprintModelInfo.HasTextEncoder"/> must be true).</summary>
    /// <param name="prompts">Prompt texts.</param>
    /// <returns>One embedding per prompt.</returns>
    IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts);

    /// <summary>
    /// Tokens the prompt takes in the text encoder's tokenizer after its preparation, without the instruction and BOS
    /// (see <see cref="IModelInfo.CountPromptTokens"/>); <c>null</c> (the default) without a tokenizer.
    /// </summary>
    /// <param name="prompt">The prompt as typed.</param>
    /// <returns>The count, or <c>null</c>.</returns>
    int? CountPromptTokens(string prompt) => null;

    /// <summary>Runs the transformer: flow velocity v, [B, C, h, w].</summary>
    /// <param name="call">Inputs.</param>
    /// <returns>v.</returns>
    float[] Transformer(TransformerCall call);

    /// <summary>Runs the ControlNet: one residual per ControlNet block, each × the sample's conditioning scale.</summary>
    /// <param name="call">Inputs.</param>
    /// <returns>The residuals, in block order.</returns>
    IReadOnlyList<float[]> ControlNet(ControlNetCall call);

    /// <summary>DC-AE encoder: images [B, 3, H, W] in [−1, 1] → raw latents [B, C, H/f, W/f] (before scaling_factor).</summary>
    /// <param name="images">Images.</param>
    /// <param name="batch">B.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <returns>Latents.</returns>
    float[] EncodeImages(float[] images, int batch, int height, int width);

    /// <summary>DC-AE decoder: latents / scaling_factor [B, C, h, w] → images [B, 3, h·f, w·f] in ≈[−1, 1].</summary>
    /// <param name="latents">Decoder input.</param>
    /// <param name="batch">B.</param>
    /// <param name="height">h.</param>
    /// <param name="width">w.</param>
    /// <param name="destination">Receives the images: exactly B·3·h·f·w·f values (may be a pooled buffer).</param>
    void Decode(float[] latents, int batch, int height, int width, Memory<float> destination);

    /// <summary>Total time the components spent inside ONNX Runtime (for overhead accounting).</summary>
    TimeSpan RuntimeTime { get; }
}
