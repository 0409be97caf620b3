using System.Text.Json;
using System.Text.Json.Serialization;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// A Gemma-2 <c>config.json</c> as transformers writes it (no <c>_class_name</c>; <c>model_type</c> = <c>gemma2</c>),
/// with transformers' argument names and <c>Gemma2Config</c> defaults (the Gemma-2-2B values of transformers' configuration_gemma2.py).
/// </summary>
public sealed record Gemma2Config
{
    /// <summary><c>model_type</c> (<c>str</c>): must be <c>gemma2</c>.</summary>
    [JsonPropertyName("model_type")] public string? ModelType { get; init; }

    /// <summary><c>architectures</c> (<c>list[str]</c>, optional): e.g. <c>["Gemma2Model"]</c>.</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }

    /// <summary><c>vocab_size</c> (<c>int</c>, defaults to <c>256000</c>).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 256000;

    /// <summary><c>hidden_size</c> (<c>int</c>, defaults to <c>2304</c>): width of the residual stream (the caption channels).</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 2304;

    /// <summary><c>intermediate_size</c> (<c>int</c>, defaults to <c>9216</c>): width of the GeGLU MLP.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 9216;

    /// <summary><c>num_hidden_layers</c> (<c>int</c>, defaults to <c>26</c>).</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 26;

    /// <summary><c>num_attention_heads</c> (<c>int</c>, defaults to <c>8</c>): query heads.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 8;

    /// <summary><c>num_key_value_heads</c> (<c>int</c>, defaults to <c>4</c>): key/value heads (grouped-query attention).</summary>
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; init; } = 4;

    /// <summary><c>head_dim</c> (<c>int</c>, defaults to <c>256</c>); heads × head_dim need not equal hidden_size.</summary>
    [JsonPropertyName("head_dim")] public int HeadDim { get; init; } = 256;

    /// <summary><c>hidden_activation</c> (<c>str</c>, defaults to <c>gelu_pytorch_tanh</c>).</summary>
    [JsonPropertyName("hidden_activation")] public string? HiddenActivation { get; init; } = "gelu_pytorch_tanh";

    /// <summary><c>hidden_act</c> (<c>str</c>, optional): the older name, used when <c>hidden_activation</c> is absent.</summary>
    [JsonPropertyName("hidden_act")] public string? HiddenAct { get; init; }

    /// <summary><c>max_position_embeddings</c> (<c>int</c>, defaults to <c>8192</c>).</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 8192;

    /// <summary><c>rms_norm_eps</c> (<c>float</c>, defaults to <c>1e-6</c>).</summary>
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;

    /// <summary><c>rope_theta</c> (<c>float</c>, defaults to <c>10000.0</c>).</summary>
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;

    /// <summary><c>attention_bias</c> (<c>bool</c>, defaults to <c>false</c>): biases on q/k/v/o projections.</summary>
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }

    /// <summary><c>query_pre_attn_scalar</c> (<c>float</c>, defaults to <c>256</c>): scores are scaled by its inverse square root.</summary>
    [JsonPropertyName("query_pre_attn_scalar")] public double QueryPreAttnScalar { get; init; } = 256;

    /// <summary><c>sliding_window</c> (<c>int</c>, optional, defaults to <c>4096</c>): window of the even (local) layers; <c>null</c> = none.</summary>
    [JsonPropertyName("sliding_window")] public int? SlidingWindow { get; init; } = 4096;

    /// <summary><c>attn_logit_softcapping</c> (<c>float</c>, optional, defaults to <c>50.0</c>): <c>c·tanh(s/c)</c> on scores; <c>null</c> = none.</summary>
    [JsonPropertyName("attn_logit_softcapping")] public double? AttnLogitSoftcapping { get; init; } = 50.0;

    /// <summary><c>final_logit_softcapping</c> (<c>float</c>, optional, defaults to <c>30.0</c>): LM head only, unused for hidden states.</summary>
    [JsonPropertyName("final_logit_softcapping")] public double? FinalLogitSoftcapping { get; init; } = 30.0;

    /// <summary><c>pad_token_id</c> (<c>int</c>, defaults to <c>0</c>).</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }

    /// <summary><c>bos_token_id</c> (<c>int</c>, defaults to <c>2</c>).</summary>
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; } = 2;

    /// <summary><c>torch_dtype</c> (<c>str</c>, optional): the dtype the weights were saved in (informational).</summary>
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }

    /// <summary>The MLP activation (<c>hidden_activation</c>, else <c>hidden_act</c>).</summary>
    [JsonIgnore] public string Activation => HiddenActivation ?? HiddenAct ?? "gelu_pytorch_tanh";

    /// <summary>Query heads per key/value head.</summary>
    [JsonIgnore] public int KeyValueGroups => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>True for layers with a sliding window: the even ones (transformers: <c>not bool(layer_idx % 2)</c>).</summary>
    public bool IsSlidingLayer(int layerIndex) => SlidingWindow is not null && layerIndex % 2 == 0;

    /// <summary>Reads <c>config.json</c> from a <c>text_encoder/</c> folder (or the file given directly) and validates it.</summary>
    /// <exception cref="CheckpointException">Missing file, invalid JSON, not a Gemma-2 config, or inconsistent sizes.</exception>
    public static Gemma2Config Load(string folderOrFile)
    {
        ArgumentNullException.ThrowIfNull(folderOrFile);
        string path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, "config.json") : folderOrFile;
        if (!File.Exists(path))
            throw new CheckpointException(path, null, "file not found.");
        Gemma2Config config;
        try
        {
            config = JsonSerializer.Deserialize<Gemma2Config>(File.ReadAllText(path), ComponentConfig.SerializerOptions)
                ?? throw new CheckpointException(path, null, "is empty.");
        }
        catch (JsonException ex)
        {
            throw new CheckpointException(path, null, $"is not a valid Gemma-2 config: bad value at {ex.Path} ({ex.Message}).", ex);
        }
        config.Validate(path);
        return config;
    }

    /// <summary>Checks that the sizes fit together and the features are supported.</summary>
    /// <param name="source">File name for the error message.</param>
    /// <exception cref="CheckpointException">The first problem found.</exception>
    public void Validate(string source = "config.json")
    {
        void Fail(string message) => throw new CheckpointException(source, null, message);
        if (ModelType is not null && ModelType != "gemma2")
            Fail($"has model_type '{ModelType}'; expected 'gemma2'.");
        if (Architectures is { Length: > 0 } && !Architectures.Any(a => a is "Gemma2Model" or "Gemma2ForCausalLM"))
            Fail($"lists architectures [{string.Join(", ", Architectures)}]; expected Gemma2Model or Gemma2ForCausalLM.");
        if (HiddenSize <= 0 || IntermediateSize <= 0 || NumHiddenLayers <= 0 || VocabSize <= 0)
            Fail("has a non-positive hidden_size, intermediate_size, num_hidden_layers or vocab_size.");
        if (NumAttentionHeads <= 0 || NumKeyValueHeads <= 0 || NumAttentionHeads % NumKeyValueHeads != 0)
            Fail($"has num_attention_heads {NumAttentionHeads} not a positive multiple of num_key_value_heads {NumKeyValueHeads}.");
        if (HeadDim <= 0 || HeadDim % 2 != 0)
            Fail($"has head_dim {HeadDim}; rotary embeddings need a positive even head_dim.");
        if (QueryPreAttnScalar <= 0)
            Fail($"has query_pre_attn_scalar {QueryPreAttnScalar}; expected a positive value.");
        if (SlidingWindow is <= 0)
            Fail($"has sliding_window {SlidingWindow}; expected a positive value or null.");
        if (AttnLogitSoftcapping is <= 0)
            Fail($"has attn_logit_softcapping {AttnLogitSoftcapping}; expected a positive value or null.");
        if (Activation is not ("gelu_pytorch_tanh" or "gelu_tanh"))
            Fail($"has hidden_activation '{Activation}'; only gelu_pytorch_tanh (GeGLU with the tanh approximation) is supported.");
        if (AttentionBias)
            Fail("has attention_bias true; Gemma-2 checkpoints have no attention biases and this builder does not read them.");
    }
}
