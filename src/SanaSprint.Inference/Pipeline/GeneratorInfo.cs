namespace SanaSprint.Inference.Pipeline;

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
    /// Why the provider is not the one asked for: set when <c>Inference:Device = auto</c> fell back to CPU, or when
    /// <c>cuda</c> was required and could not run (names what is missing, e.g. <c>libcublasLt.so.13</c>); null otherwise.
    /// </summary>
    public string? ProviderNote { get; init; }
    /// <summary>
    /// Pixels per latent cell of the checkpoint's autoencoder (diffusers' <c>vae_scale_factor</c>, 32 for the DC-AE
    /// f32c32): frame sizes are multiples of it.
    /// </summary>
    public int VaeScaleFactor { get; init; } = 32;
    /// <summary>
    /// The precision the graphs run in (<c>fp32</c> or <c>fp16</c>). It can differ from <c>Inference:Precision</c>: the CPU
    /// execution provider has no fp16 compute, so <c>fp16</c> requested on CPU runs <c>fp32</c> (and the load logs a warning).
    /// </summary>
    public string Precision { get; init; } = "fp32";
}
