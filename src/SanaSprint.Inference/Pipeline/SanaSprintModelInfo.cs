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

    /// <summary>The precision the graphs run in: <c>fp32</c> or <c>fp16</c>.</summary>
    public string Precision { get; init; } = "fp32";
}
