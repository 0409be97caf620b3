using System.Text.Json.Serialization;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// <c>AutoencoderDC</c>'s <c>config.json</c>, with diffusers' argument names and defaults
/// (diffusers <c>autoencoder_dc.py</c> @ 58eb52c). Values that diffusers accepts as one string or a per-stage
/// list (<c>encoder_block_types</c>, <c>decoder_norm_types</c>, ...) are always arrays here: a single string
/// becomes a one-element array that applies to every stage (see <see cref="PerStage"/>).
/// </summary>
public sealed record AutoencoderDCConfig
{
    /// <summary><c>in_channels</c> (<c>int</c>, defaults to <c>3</c>): image channels.</summary>
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;

    /// <summary><c>latent_channels</c> (<c>int</c>, defaults to <c>32</c>).</summary>
    [JsonPropertyName("latent_channels")] public int LatentChannels { get; init; } = 32;

    /// <summary><c>attention_head_dim</c> (<c>int</c>, defaults to <c>32</c>).</summary>
    [JsonPropertyName("attention_head_dim")] public int AttentionHeadDim { get; init; } = 32;

    /// <summary><c>encoder_block_types</c> (<c>str</c> or list, defaults to <c>"ResBlock"</c>).</summary>
    [JsonPropertyName("encoder_block_types"), JsonConverter(typeof(StringOrArrayConverter))]
    public string[] EncoderBlockTypes { get; init; } = ["ResBlock"];

    /// <summary><c>decoder_block_types</c> (<c>str</c> or list, defaults to <c>"ResBlock"</c>).</summary>
    [JsonPropertyName("decoder_block_types"), JsonConverter(typeof(StringOrArrayConverter))]
    public string[] DecoderBlockTypes { get; init; } = ["ResBlock"];

    /// <summary><c>encoder_block_out_channels</c> (defaults to <c>(128, 256, 512, 512, 1024, 1024)</c>).</summary>
    [JsonPropertyName("encoder_block_out_channels")] public int[] EncoderBlockOutChannels { get; init; } = [128, 256, 512, 512, 1024, 1024];

    /// <summary><c>decoder_block_out_channels</c> (defaults to <c>(128, 256, 512, 512, 1024, 1024)</c>).</summary>
    [JsonPropertyName("decoder_block_out_channels")] public int[] DecoderBlockOutChannels { get; init; } = [128, 256, 512, 512, 1024, 1024];

    /// <summary><c>encoder_layers_per_block</c> (defaults to <c>(2, 2, 2, 3, 3, 3)</c>).</summary>
    [JsonPropertyName("encoder_layers_per_block")] public int[] EncoderLayersPerBlock { get; init; } = [2, 2, 2, 3, 3, 3];

    /// <summary><c>decoder_layers_per_block</c> (defaults to <c>(3, 3, 3, 3, 3, 3)</c>).</summary>
    [JsonPropertyName("decoder_layers_per_block")] public int[] DecoderLayersPerBlock { get; init; } = [3, 3, 3, 3, 3, 3];

    /// <summary><c>encoder_qkv_multiscales</c> (defaults to <c>((), (), (), (5,), (5,), (5,))</c>).</summary>
    [JsonPropertyName("encoder_qkv_multiscales")] public int[][] EncoderQkvMultiscales { get; init; } = [[], [], [], [5], [5], [5]];

    /// <summary><c>decoder_qkv_multiscales</c> (defaults to <c>((), (), (), (5,), (5,), (5,))</c>).</summary>
    [JsonPropertyName("decoder_qkv_multiscales")] public int[][] DecoderQkvMultiscales { get; init; } = [[], [], [], [5], [5], [5]];

    /// <summary><c>upsample_block_type</c> (<c>str</c>, defaults to <c>"pixel_shuffle"</c>; or <c>"interpolate"</c>).</summary>
    [JsonPropertyName("upsample_block_type")] public string UpsampleBlockType { get; init; } = "pixel_shuffle";

    /// <summary><c>downsample_block_type</c> (<c>str</c>, defaults to <c>"pixel_unshuffle"</c>; or <c>"conv"</c>).</summary>
    [JsonPropertyName("downsample_block_type")] public string DownsampleBlockType { get; init; } = "pixel_unshuffle";

    /// <summary><c>decoder_norm_types</c> (<c>str</c> or list, defaults to <c>"rms_norm"</c>).</summary>
    [JsonPropertyName("decoder_norm_types"), JsonConverter(typeof(StringOrArrayConverter))]
    public string[] DecoderNormTypes { get; init; } = ["rms_norm"];

    /// <summary><c>decoder_act_fns</c> (<c>str</c> or list, defaults to <c>"silu"</c>).</summary>
    [JsonPropertyName("decoder_act_fns"), JsonConverter(typeof(StringOrArrayConverter))]
    public string[] DecoderActFns { get; init; } = ["silu"];

    /// <summary><c>encoder_out_shortcut</c> (<c>bool</c>, defaults to <c>true</c>).</summary>
    [JsonPropertyName("encoder_out_shortcut")] public bool EncoderOutShortcut { get; init; } = true;

    /// <summary><c>decoder_in_shortcut</c> (<c>bool</c>, defaults to <c>true</c>).</summary>
    [JsonPropertyName("decoder_in_shortcut")] public bool DecoderInShortcut { get; init; } = true;

    /// <summary><c>decoder_conv_act_fn</c> (<c>str</c>, defaults to <c>"relu"</c>).</summary>
    [JsonPropertyName("decoder_conv_act_fn")] public string DecoderConvActFn { get; init; } = "relu";

    /// <summary><c>scaling_factor</c> (<c>float</c>, defaults to <c>1.0</c>; 0.41407 for dc-ae-f32c32-sana).</summary>
    [JsonPropertyName("scaling_factor")] public double ScalingFactor { get; init; } = 1.0;

    /// <summary>The value for stage <paramref name="stage"/> of a per-stage list (a one-element list applies to all).</summary>
    public static string PerStage(string[] values, int stage) => values.Length == 1 ? values[0] : values[stage];
}
