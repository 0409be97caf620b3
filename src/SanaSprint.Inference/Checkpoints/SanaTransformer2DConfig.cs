using System.Text.Json.Serialization;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// <c>SanaTransformer2DModel</c>'s <c>config.json</c>, with diffusers' argument names and defaults
/// (diffusers <c>sana_transformer.py</c> @ 58eb52c).
/// </summary>
public sealed record SanaTransformer2DConfig
{
    /// <summary><c>in_channels</c> (<c>int</c>, defaults to <c>32</c>): the number of channels in the input.</summary>
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 32;

    /// <summary><c>out_channels</c> (<c>int</c>, optional, defaults to <c>32</c>; <c>null</c> means <c>in_channels</c>).</summary>
    [JsonPropertyName("out_channels")] public int? OutChannels { get; init; } = 32;

    /// <summary><c>num_attention_heads</c> (<c>int</c>, defaults to <c>70</c>): heads of the linear self-attention.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 70;

    /// <summary><c>attention_head_dim</c> (<c>int</c>, defaults to <c>32</c>): channels per head.</summary>
    [JsonPropertyName("attention_head_dim")] public int AttentionHeadDim { get; init; } = 32;

    /// <summary><c>num_layers</c> (<c>int</c>, defaults to <c>20</c>): transformer blocks.</summary>
    [JsonPropertyName("num_layers")] public int NumLayers { get; init; } = 20;

    /// <summary><c>num_cross_attention_heads</c> (<c>int</c>, optional, defaults to <c>20</c>).</summary>
    [JsonPropertyName("num_cross_attention_heads")] public int? NumCrossAttentionHeads { get; init; } = 20;

    /// <summary><c>cross_attention_head_dim</c> (<c>int</c>, optional, defaults to <c>112</c>).</summary>
    [JsonPropertyName("cross_attention_head_dim")] public int? CrossAttentionHeadDim { get; init; } = 112;

    /// <summary><c>cross_attention_dim</c> (<c>int</c>, optional, defaults to <c>2240</c>): <c>null</c> means no cross-attention.</summary>
    [JsonPropertyName("cross_attention_dim")] public int? CrossAttentionDim { get; init; } = 2240;

    /// <summary><c>caption_channels</c> (<c>int</c>, defaults to <c>2304</c>): channels of the caption embeddings.</summary>
    [JsonPropertyName("caption_channels")] public int CaptionChannels { get; init; } = 2304;

    /// <summary><c>mlp_ratio</c> (<c>float</c>, defaults to <c>2.5</c>): GLUMBConv expansion ratio.</summary>
    [JsonPropertyName("mlp_ratio")] public double MlpRatio { get; init; } = 2.5;

    /// <summary><c>dropout</c> (<c>float</c>, defaults to <c>0.0</c>): unused at inference.</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; }

    /// <summary><c>attention_bias</c> (<c>bool</c>, defaults to <c>false</c>): bias on the self-attention q/k/v projections.</summary>
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }

    /// <summary><c>sample_size</c> (<c>int</c>, defaults to <c>32</c>): the base size of the input latent.</summary>
    [JsonPropertyName("sample_size")] public int SampleSize { get; init; } = 32;

    /// <summary><c>patch_size</c> (<c>int</c>, defaults to <c>1</c>).</summary>
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 1;

    /// <summary><c>norm_elementwise_affine</c> (<c>bool</c>, defaults to <c>false</c>).</summary>
    [JsonPropertyName("norm_elementwise_affine")] public bool NormElementwiseAffine { get; init; }

    /// <summary><c>norm_eps</c> (<c>float</c>, defaults to <c>1e-6</c>).</summary>
    [JsonPropertyName("norm_eps")] public double NormEps { get; init; } = 1e-6;

    /// <summary><c>interpolation_scale</c> (<c>int</c>, optional, defaults to <c>null</c>): non-null adds a sin-cos positional embedding.</summary>
    [JsonPropertyName("interpolation_scale")] public double? InterpolationScale { get; init; }

    /// <summary><c>guidance_embeds</c> (<c>bool</c>, defaults to <c>false</c>): Sprint's guidance embedding.</summary>
    [JsonPropertyName("guidance_embeds")] public bool GuidanceEmbeds { get; init; }

    /// <summary><c>guidance_embeds_scale</c> (<c>float</c>, defaults to <c>0.1</c>): the pipeline's guidance multiplier.</summary>
    [JsonPropertyName("guidance_embeds_scale")] public double GuidanceEmbedsScale { get; init; } = 0.1;

    /// <summary><c>qk_norm</c> (<c>str</c>, optional, defaults to <c>null</c>): <c>rms_norm_across_heads</c> in Sprint.</summary>
    [JsonPropertyName("qk_norm")] public string? QkNorm { get; init; }

    /// <summary><c>timestep_scale</c> (<c>float</c>, defaults to <c>1.0</c>): read but not applied, as in diffusers' forward (the pipeline passes the timestep already scaled).</summary>
    [JsonPropertyName("timestep_scale")] public double TimestepScale { get; init; } = 1.0;

    /// <summary><c>num_attention_heads × attention_head_dim</c>.</summary>
    [JsonIgnore] public int InnerDim => NumAttentionHeads * AttentionHeadDim;

    /// <summary><c>out_channels or in_channels</c>.</summary>
    [JsonIgnore] public int ResolvedOutChannels => OutChannels ?? InChannels;
}
