using System.Text.Json.Serialization;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// <c>SanaControlNetModel</c>'s <c>config.json</c>, with diffusers' argument names and defaults
/// (diffusers <c>controlnet_sana.py</c> @ 58eb52c). The ControlNet has no guidance embedding and no qk-norm.
/// </summary>
public sealed record SanaControlNetConfig
{
    /// <summary><c>in_channels</c> (<c>int</c>, defaults to <c>32</c>).</summary>
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 32;

    /// <summary><c>out_channels</c> (<c>int</c>, optional, defaults to <c>32</c>).</summary>
    [JsonPropertyName("out_channels")] public int? OutChannels { get; init; } = 32;

    /// <summary><c>num_attention_heads</c> (<c>int</c>, defaults to <c>70</c>).</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 70;

    /// <summary><c>attention_head_dim</c> (<c>int</c>, defaults to <c>32</c>).</summary>
    [JsonPropertyName("attention_head_dim")] public int AttentionHeadDim { get; init; } = 32;

    /// <summary><c>num_layers</c> (<c>int</c>, defaults to <c>7</c>): copied blocks, one residual each.</summary>
    [JsonPropertyName("num_layers")] public int NumLayers { get; init; } = 7;

    /// <summary><c>num_cross_attention_heads</c> (<c>int</c>, optional, defaults to <c>20</c>).</summary>
    [JsonPropertyName("num_cross_attention_heads")] public int? NumCrossAttentionHeads { get; init; } = 20;

    /// <summary><c>cross_attention_head_dim</c> (<c>int</c>, optional, defaults to <c>112</c>).</summary>
    [JsonPropertyName("cross_attention_head_dim")] public int? CrossAttentionHeadDim { get; init; } = 112;

    /// <summary><c>cross_attention_dim</c> (<c>int</c>, optional, defaults to <c>2240</c>).</summary>
    [JsonPropertyName("cross_attention_dim")] public int? CrossAttentionDim { get; init; } = 2240;

    /// <summary><c>caption_channels</c> (<c>int</c>, defaults to <c>2304</c>).</summary>
    [JsonPropertyName("caption_channels")] public int CaptionChannels { get; init; } = 2304;

    /// <summary><c>mlp_ratio</c> (<c>float</c>, defaults to <c>2.5</c>).</summary>
    [JsonPropertyName("mlp_ratio")] public double MlpRatio { get; init; } = 2.5;

    /// <summary><c>dropout</c> (<c>float</c>, defaults to <c>0.0</c>).</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; }

    /// <summary><c>attention_bias</c> (<c>bool</c>, defaults to <c>false</c>).</summary>
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }

    /// <summary><c>sample_size</c> (<c>int</c>, defaults to <c>32</c>).</summary>
    [JsonPropertyName("sample_size")] public int SampleSize { get; init; } = 32;

    /// <summary><c>patch_size</c> (<c>int</c>, defaults to <c>1</c>).</summary>
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 1;

    /// <summary><c>norm_elementwise_affine</c> (<c>bool</c>, defaults to <c>false</c>).</summary>
    [JsonPropertyName("norm_elementwise_affine")] public bool NormElementwiseAffine { get; init; }

    /// <summary><c>norm_eps</c> (<c>float</c>, defaults to <c>1e-6</c>).</summary>
    [JsonPropertyName("norm_eps")] public double NormEps { get; init; } = 1e-6;

    /// <summary><c>interpolation_scale</c> (<c>int</c>, optional, defaults to <c>null</c>).</summary>
    [JsonPropertyName("interpolation_scale")] public double? InterpolationScale { get; init; }

    /// <summary><c>num_attention_heads × attention_head_dim</c>.</summary>
    [JsonIgnore] public int InnerDim => NumAttentionHeads * AttentionHeadDim;

    /// <summary>The same numbers as a transformer config (no guidance, no qk-norm), so the ControlNet can reuse the
    /// transformer's block builder.</summary>
    public SanaTransformer2DConfig AsTransformerConfig() => new()
    {
        InChannels = InChannels, OutChannels = OutChannels, NumAttentionHeads = NumAttentionHeads,
        AttentionHeadDim = AttentionHeadDim, NumLayers = NumLayers, NumCrossAttentionHeads = NumCrossAttentionHeads,
        CrossAttentionHeadDim = CrossAttentionHeadDim, CrossAttentionDim = CrossAttentionDim,
        CaptionChannels = CaptionChannels, MlpRatio = MlpRatio, Dropout = Dropout, AttentionBias = AttentionBias,
        SampleSize = SampleSize, PatchSize = PatchSize, NormElementwiseAffine = NormElementwiseAffine, NormEps = NormEps,
        InterpolationScale = InterpolationScale, GuidanceEmbeds = false, QkNorm = null,
    };
}
