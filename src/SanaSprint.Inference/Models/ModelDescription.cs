namespace SanaSprint.Inference.Models;

/// <summary>What a component does in a SANA-Sprint pipeline.</summary>
public enum ModelRole
{
    /// <summary>The denoiser (diffusers' <c>transformer</c> component): predicts the flow velocity each step.</summary>
    Denoiser,

    /// <summary>A ControlNet: per-block residuals for the denoiser from a control latent.</summary>
    ControlNet,

    /// <summary>An autoencoder (diffusers' <c>vae</c> component): images ↔ latents.</summary>
    Autoencoder,

    /// <summary>A text encoder: prompt tokens → prompt embeddings.</summary>
    TextEncoder,
}

/// <summary>
/// What the loader and the pipeline need to know about a component, read from its <c>config.json</c> by
/// <see cref="ModelCatalog.Describe(Checkpoints.ComponentConfig)"/>, so that no loader code names a model class.
/// </summary>
public sealed record ModelDescription
{
    /// <summary>The component's <c>_class_name</c>.</summary>
    public required string ClassName { get; init; }

    /// <summary>What the component does.</summary>
    public required ModelRole Role { get; init; }

    /// <summary>Latent channels: the denoiser's <c>in_channels</c>, the autoencoder's <c>latent_channels</c>; else 0.</summary>
    public int LatentChannels { get; init; }

    /// <summary>Autoencoder: pixels per latent cell (diffusers' <c>vae_scale_factor</c>); else 0.</summary>
    public int VaeScaleFactor { get; init; }

    /// <summary>Autoencoder: the latent <c>scaling_factor</c>; else 0.</summary>
    public float ScalingFactor { get; init; }

    /// <summary>Denoiser: <c>caption_channels</c>, the width of prompt embeddings; else 0.</summary>
    public int CaptionChannels { get; init; }

    /// <summary>Denoiser: <c>guidance_embeds_scale</c>; else 0.</summary>
    public float GuidanceEmbedsScale { get; init; }

    /// <summary>ControlNet: how many residuals it returns (one per block), the denoiser's ControlNet inputs; else 0.</summary>
    public int ControlBlocks { get; init; }
}
