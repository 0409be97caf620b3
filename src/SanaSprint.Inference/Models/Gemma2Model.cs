// Ported from transformers models/gemma2/modeling_gemma2.py Gemma2Model.forward, v4.47.0 (attention heads transposed
// to [B, L, heads, d] before the merge, as in every released version).
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Models;

/// <summary>Which transformers attention path the graph reproduces (eager soft-caps the logits; SDPA ignores the cap).</summary>
public enum Gemma2AttentionImplementation
{
    /// <summary><c>attn_implementation="eager"</c>: attention logits soft-capped, <c>c·tanh(s/c)</c> (the reference default).</summary>
    Eager,

    /// <summary><c>attn_implementation="sdpa"</c>: transformers' SDPA path, which ignores the soft-capping.</summary>
    Sdpa,
}

/// <summary>Options that change the Gemma-2 graph (each is part of a graph cache key).</summary>
public sealed record Gemma2GraphOptions
{
    /// <summary>The default options: soft-capped (eager) attention.</summary>
    public static Gemma2GraphOptions Default { get; } = new();

    /// <summary>Soft-capped (eager) or not (SDPA).</summary>
    /// <remarks>Defaults to <see cref="Gemma2AttentionImplementation.Eager"/>.</remarks>
    public Gemma2AttentionImplementation Attention { get; init; } = Gemma2AttentionImplementation.Eager;

    /// <summary>A canonical text of the options, for cache keys and file names.</summary>
    public string CacheText => Attention.ToString().ToLowerInvariant();
}

/// <summary>
/// Builds the Gemma-2 encoder graph SANA-Sprint runs over the prompt: <c>input_ids</c> and <c>attention_mask</c>
/// (int64 [batch, sequence], right padded) → <c>last_hidden_state</c> (float32 [batch, sequence, hidden_size], after
/// the final norm). Weights come from a <c>text_encoder/</c> folder (single or sharded safetensors, any float dtype,
/// converted to float32); keys may carry the <c>model.</c> prefix of a raw <c>Gemma2ForCausalLM</c>.
/// </summary>
/// <remarks>
/// The graph is float32 on every device: Gemma-2 overflows in float16 (its activations exceed fp16's range). Node names are module paths
/// (<c>layers.3.self_attn.q_proj/Gemm</c>), initializers the safetensors keys. The hidden state is kept as
/// [batch·sequence, hidden] between layers so every projection is one <c>Gemm</c> with <c>transB</c> on the stored
/// [out, in] weight (no transposed weight copies).
/// </remarks>
public static class Gemma2Model
{
    /// <summary>The model's class name in <c>model_index.json</c>.</summary>
    public const string ClassName = "Gemma2Model";

    /// <summary>Graph input: token ids, int64 [batch, sequence].</summary>
    public const string InputIdsName = "input_ids";

    /// <summary>Graph input: 1 for tokens, 0 for padding, int64 [batch, sequence].</summary>
    public const string AttentionMaskName = "attention_mask";

    /// <summary>Graph output: float32 [batch, sequence, hidden_size].</summary>
    public const string OutputName = "last_hidden_state";

    /// <summary>Opens the config and weights of a <c>text_encoder/</c> folder and builds the graph.</summary>
    /// <param name="textEncoderDirectory">Folder with <c>config.json</c> and <c>model.safetensors</c> or a shard index.</param>
    /// <param name="options">Attention variant; <c>null</c> for <see cref="Gemma2GraphOptions.Default"/>.</param>
    /// <returns>The builder and the opened checkpoint; dispose the checkpoint after saving the graph.</returns>
    /// <exception cref="CheckpointException">Missing or inconsistent config or weights (the message names the file and tensor).</exception>
    public static (GraphBuilder Graph, SafetensorsCheckpoint Checkpoint, Gemma2Config Config) BuildFromDirectory(
        string textEncoderDirectory, Gemma2GraphOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(textEncoderDirectory);
        var config = Gemma2Config.Load(textEncoderDirectory);
        var checkpoint = SafetensorsCheckpoint.Open(textEncoderDirectory);
        try
        {
            return (Build(config, checkpoint, options), checkpoint, config);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Builds the encoder graph.</summary>
    /// <param name="config">The validated config.</param>
    /// <param name="checkpoint">The weights.</param>
    /// <param name="options">Attention variant; <c>null</c> for <see cref="Gemma2GraphOptions.Default"/>.</param>
    /// <exception cref="CheckpointException">A weight is missing or has the wrong shape.</exception>
    public static GraphBuilder Build(Gemma2Config config, SafetensorsCheckpoint checkpoint, Gemma2GraphOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(checkpoint);
        options ??= Gemma2GraphOptions.Default;
        config.Validate(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(checkpoint.Path) ?? ".", "config.json"));

        var g = new GraphBuilder(ClassName, GraphPrecision.Fp32, checkpoint);
        string prefix = !checkpoint.Contains("embed_tokens.weight") && checkpoint.Contains("model.embed_tokens.weight") ? "model." : "";
        double? softcap = options.Attention == Gemma2AttentionImplementation.Eager ? config.AttnLogitSoftcapping : null;

        var inputIds = g.Input(InputIdsName, DT.Int64, "batch", "sequence");
        var attentionMask = g.Input(AttentionMaskName, DT.Int64, "batch", "sequence");

        // 1. Embedding, scaled by sqrt(hidden_size) (the normaliser is a tensor in the activation dtype)
        var embedWeight = g.Weight($"{prefix}embed_tokens.weight", [config.VocabSize, config.HiddenSize], "vocab_size × hidden_size");
        var embedded = g.Gather($"{prefix}embed_tokens", embedWeight, inputIds);
        var hidden = g.Reshape($"{prefix}embed_tokens", embedded, -1, config.HiddenSize);
        hidden = g.Mul($"{prefix}embed_tokens/normalizer", hidden, g.Scalar((float)Math.Sqrt(config.HiddenSize), DT.Float));

        // 2. Position embeddings (positions 0..L−1 whatever the padding) and the attention masks
        var inputShape = g.Shape("input_shape", inputIds);
        var context = new AttentionContext(
            Rotary: RotaryEmbedding(g, $"{prefix}rotary_emb", config, inputIds),
            GlobalMask: CausalMask(g, "causal_mask", inputIds, attentionMask, slidingWindow: null),
            SlidingMask: config.SlidingWindow is int window ? CausalMask(g, "sliding_window_mask", inputIds, attentionMask, window) : null,
            QueryShape: g.Concat("attention_shapes/q", 0, inputShape, g.Const(config.NumAttentionHeads, config.HeadDim)),
            KeyValueShape: g.Concat("attention_shapes/kv", 0, inputShape, g.Const(config.NumKeyValueHeads, config.HeadDim)),
            Softcap: softcap);

        // 3. Decoder layers
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            hidden = DecoderLayer(g, $"{prefix}layers.{i}", config, hidden, context, config.IsSlidingLayer(i) ? context.SlidingMask! : context.GlobalMask);
        }

        // 4. Final norm, back to [batch, sequence, hidden]
        hidden = RmsNorm(g, $"{prefix}norm", hidden, config);
        var outputShape = g.Concat("last_hidden_state_shape", 0, inputShape, g.Const(config.HiddenSize));
        var output = g.Reshape(OutputName, hidden, outputShape);
        g.Output(output, OutputName, "batch", "sequence", (long)config.HiddenSize);
        return g;
    }

    private sealed record AttentionContext(
        (GraphValue Cos, GraphValue Sin) Rotary, GraphValue GlobalMask, GraphValue? SlidingMask,
        GraphValue QueryShape, GraphValue KeyValueShape, double? Softcap);

    /// <summary>
    /// Gemma2DecoderLayer: four (1+w) RMSNorms around attention and MLP.
    /// <code>
    ///   h ── input_layernorm ── self_attn ── post_attention_layernorm ──(+h)── h'
    ///   h' ── pre_feedforward_layernorm ── mlp ── post_feedforward_layernorm ──(+h')── out
    /// </code>
    /// </summary>
    private static GraphValue DecoderLayer(GraphBuilder g, string path, Gemma2Config config, GraphValue hidden, AttentionContext context, GraphValue mask)
    {
        // 1. Self-attention with its sandwich norms
        var normed = RmsNorm(g, $"{path}.input_layernorm", hidden, config);
        var attention = SelfAttention(g, $"{path}.self_attn", config, normed, context, mask);
        attention = RmsNorm(g, $"{path}.post_attention_layernorm", attention, config);
        hidden = g.Add($"{path}/attn_residual", hidden, attention);

        // 2. Feed-forward with its sandwich norms
        normed = RmsNorm(g, $"{path}.pre_feedforward_layernorm", hidden, config);
        var mlp = Mlp(g, $"{path}.mlp", config, normed);
        mlp = RmsNorm(g, $"{path}.post_feedforward_layernorm", mlp, config);
        return g.Add($"{path}/mlp_residual", hidden, mlp);
    }

    /// <summary>
    /// Gemma2Attention (eager): grouped-query attention on [B·L, hidden].
    /// <code>
    ///   q,k,v = proj(x) → [B, heads, L, head_dim];  q,k = RoPE(q,k)
    ///   q grouped as [B, kv_heads, groups·L, head_dim]   (query head j uses kv head j // groups, as repeat_kv)
    ///   s = q·kᵀ · query_pre_attn_scalar^−½  → [B, heads, L, L]
    ///   s = c·tanh(s / c)             (eager only)
    ///   p = softmax(s + mask)         (float32)
    ///   o = o_proj(merge_heads(p·v))   (merge: transpose to [B, L, heads, d], then reshape)
    /// </code>
    /// </summary>
    private static GraphValue SelfAttention(GraphBuilder g, string path, Gemma2Config config, GraphValue x, AttentionContext context, GraphValue mask)
    {
        int heads = config.NumAttentionHeads, kvHeads = config.NumKeyValueHeads, d = config.HeadDim;

        // 1. Projections, split into heads: [B, heads, L, head_dim]
        GraphValue Heads(string name, int count, GraphValue shape)
        {
            var projected = Linear(g, $"{path}.{name}_proj", x, config.HiddenSize, count * d, $"num_{(name == "q" ? "attention" : "key_value")}_heads × head_dim");
            var split = g.Reshape($"{path}/{name}", projected, shape);
            return g.Transpose($"{path}/{name}", split, 0, 2, 1, 3);
        }

        var q = Heads("q", heads, context.QueryShape);
        var k = Heads("k", kvHeads, context.KeyValueShape);
        var v = Heads("v", kvHeads, context.KeyValueShape);

        // 2. Rotary position embedding on q and k
        q = ApplyRotary(g, $"{path}/q_rope", q, context.Rotary, d);
        k = ApplyRotary(g, $"{path}/k_rope", k, context.Rotary, d);

        // 3. Scores, query heads grouped per kv head so that k and v are used without repetition
        var groupedQ = g.Reshape($"{path}/q_grouped", q, 0, kvHeads, -1, d);
        var keysT = g.Transpose($"{path}/k_transposed", k, 0, 1, 3, 2);
        var scores = g.MatMul($"{path}/scores", groupedQ, keysT);
        scores = g.Reshape($"{path}/scores", scores, 0, heads, -1, 0);
        scores = g.Mul($"{path}/scaling", scores, g.Scalar((float)Math.Pow(config.QueryPreAttnScalar, -0.5), DT.Float));

        // 4. Attention logit soft-capping (eager path only)
        if (context.Softcap is double cap)
        {
            var capValue = g.Scalar(cap, DT.Float);
            scores = g.Div($"{path}/softcap", scores, capValue);
            scores = g.Tanh($"{path}/softcap", scores);
            scores = g.Mul($"{path}/softcap", scores, capValue);
        }

        // 5. Mask (0 or float32 min, as transformers adds it) and softmax in float32
        scores = g.Add($"{path}/mask", scores, mask);
        var probabilities = g.Softmax($"{path}/softmax", scores);

        // 6. Weighted values, heads merged, output projection
        var grouped = g.Reshape($"{path}/probs_grouped", probabilities, 0, kvHeads, -1, 0);
        var context4 = g.MatMul($"{path}/context", grouped, v);
        context4 = g.Reshape($"{path}/context", context4, 0, heads, -1, d);
        context4 = g.Transpose($"{path}/context", context4, 0, 2, 1, 3);

        var merged = g.Reshape($"{path}/merge_heads", context4, -1, heads * d);
        return Linear(g, $"{path}.o_proj", merged, heads * d, config.HiddenSize, "hidden_size × num_attention_heads·head_dim");
    }

    /// <summary>Gemma2MLP: <c>down_proj(gelu_tanh(gate_proj(x)) · up_proj(x))</c>.</summary>
    private static GraphValue Mlp(GraphBuilder g, string path, Gemma2Config config, GraphValue x)
    {
        var gate = Linear(g, $"{path}.gate_proj", x, config.HiddenSize, config.IntermediateSize, "intermediate_size × hidden_size");
        var up = Linear(g, $"{path}.up_proj", x, config.HiddenSize, config.IntermediateSize, "intermediate_size × hidden_size");
        var activated = g.Gelu($"{path}.act_fn", gate, approximate: "tanh");
        var product = g.Mul(path, activated, up);
        return Linear(g, $"{path}.down_proj", product, config.IntermediateSize, config.HiddenSize, "hidden_size × intermediate_size");
    }

    /// <summary>Bias-free nn.Linear on [N, in]: one Gemm with transB over the stored [out, in] weight.</summary>
    private static GraphValue Linear(GraphBuilder g, string path, GraphValue x, int inFeatures, int outFeatures, string because)
    {
        var weight = g.Weight($"{path}.weight", [outFeatures, inFeatures], because);
        return g.Gemm(path, x, weight, null, transB: true);
    }

    /// <summary>Gemma2RMSNorm: <c>x · rsqrt(mean(x²) + eps) · (1 + w)</c>, in float32.</summary>
    private static GraphValue RmsNorm(GraphBuilder g, string path, GraphValue x, Gemma2Config config)
    {
        var weight = g.Weight($"{path}.weight", [config.HiddenSize], "hidden_size");
        var squared = g.Mul($"{path}/square", x, x);
        var meanSquare = g.ReduceMean(path, squared, [-1]);
        var denominator = g.Sqrt(path, g.Add($"{path}/eps", meanSquare, g.Scalar(config.RmsNormEps, DT.Float)));
        var normalized = g.Mul($"{path}/normalize", x, g.Reciprocal(path, denominator));
        var scale = g.Add($"{path}/one_plus_weight", weight, g.Scalar(1.0, DT.Float));
        return g.Mul($"{path}/scale", normalized, scale);
    }

    /// <summary>
    /// Gemma2RotaryEmbedding: inv_freq_i = θ^(−2i/head_dim) (float32, as torch computes it), angle = position·inv_freq
    /// duplicated as [f, f]; returns cos and sin shaped [1, 1, L, head_dim].
    /// </summary>
    private static (GraphValue Cos, GraphValue Sin) RotaryEmbedding(GraphBuilder g, string path, Gemma2Config config, GraphValue inputIds)
    {
        int half = config.HeadDim / 2;
        var inverseFrequencies = new double[half];
        float theta = (float)config.RopeTheta;
        for (int i = 0; i < half; i++)
        {
            inverseFrequencies[i] = 1.0f / MathF.Pow(theta, (float)(2 * i) / config.HeadDim);
        }

        var length = g.Squeeze(path, g.Shape(path, inputIds, 1, 2), 0);
        var positions = g.Range(path, g.ConstScalar(0), length, g.ConstScalar(1));
        var positionsF = g.Unsqueeze(path, g.Cast(path, positions, DT.Float), 1);                 // [L, 1]
        var frequencies = g.Mul($"{path}/freqs", positionsF, g.Floats(DT.Float, inverseFrequencies)); // [L, d/2]
        var angles = g.Concat($"{path}/emb", -1, frequencies, frequencies);                      // [L, d]
        var cos = g.Unsqueeze($"{path}/cos", g.Cos(path, angles), 0, 1);
        var sin = g.Unsqueeze($"{path}/sin", g.Sin(path, angles), 0, 1);
        return (cos, sin);
    }

    /// <summary><c>x·cos + rotate_half(x)·sin</c> with <c>rotate_half([x1, x2]) = [−x2, x1]</c> (half split, not interleaved).</summary>
    private static GraphValue ApplyRotary(GraphBuilder g, string path, GraphValue x, (GraphValue Cos, GraphValue Sin) rotary, int headDim)
    {
        var halves = g.Split(path, x, -1, headDim / 2, headDim / 2);
        var rotated = g.Concat(path, -1, g.Neg(path, halves[1]), halves[0]);
        return g.Add(path, g.Mul($"{path}/cos", x, rotary.Cos), g.Mul($"{path}/sin", rotated, rotary.Sin));
    }

    /// <summary>
    /// The additive mask [B, 1, L, L]: 0 where key j is visible to query i, float32 min elsewhere (transformers uses
    /// finfo.min, not −inf). Visible = j ≤ i (causal), key not padding, and on sliding layers i − j &lt; window.
    /// Built from integer arithmetic: with Δ = i − j, causal keep = clip(Δ + 1, 0, 1), window keep = clip(w − Δ, 0, 1).
    /// </summary>
    private static GraphValue CausalMask(GraphBuilder g, string path, GraphValue inputIds, GraphValue attentionMask, int? slidingWindow)
    {
        var length = g.Squeeze(path, g.Shape(path, inputIds, 1, 2), 0);
        var index = g.Range(path, g.ConstScalar(0), length, g.ConstScalar(1));
        var distance = g.Sub(path, g.Unsqueeze($"{path}/query", index, 1), g.Unsqueeze($"{path}/key", index, 0)); // [L, L] = i − j
        var keep = g.Clip($"{path}/causal", g.Add($"{path}/causal", distance, g.ConstScalar(1)), g.ConstScalar(0), g.ConstScalar(1));
        if (slidingWindow is int w)
        {
            var inWindow = g.Clip($"{path}/window", g.Sub($"{path}/window", g.ConstScalar(w), distance), g.ConstScalar(0), g.ConstScalar(1));
            keep = g.Mul($"{path}/window", keep, inWindow);
        }

        var keyKeep = g.Unsqueeze($"{path}/padding", attentionMask, 1, 2);                          // [B, 1, 1, L]
        keep = g.Mul($"{path}/padding", keep, keyKeep);                                             // [B, 1, L, L]
        var masked = g.Equal(path, keep, g.ConstScalar(0));
        return g.Where(path, masked, g.Scalar(float.MinValue, DT.Float), g.Scalar(0.0, DT.Float));
    }
}
