// Ported from diffusers attention_processor.py (Attention, SanaLinearAttnProcessor2_0) and sana_transformer.py
// (GLUMBConv, SanaAttnProcessor2_0) @ 58eb52c.
using SanaSprint.Inference.Onnx;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Models;

/// <summary>
/// diffusers' module vocabulary built from <see cref="GraphBuilder"/> ops. Each method takes the module path (whose
/// parameters are <c>{path}.weight</c>, <c>{path}.bias</c>, ...) and its inputs, and returns its output.
/// </summary>
public static class Layers
{
    /// <summary><c>nn.Linear(in, out, bias)</c>: <c>x · Wᵀ (+ b)</c> with W [out, in] from <c>{path}.weight</c>.</summary>
    /// <param name="g">Graph.</param>
    /// <param name="path">Module path (weights <c>{path}.weight</c>, <c>{path}.bias</c>).</param>
    /// <param name="x">Input [..., in].</param>
    /// <param name="inFeatures">in.</param>
    /// <param name="outFeatures">out.</param>
    /// <param name="bias">Whether the module has a bias.</param>
    /// <param name="role">For a second application of the same module: nodes go under <c>{path}/{role}</c>.</param>
    /// <remarks>One ONNX Runtime <c>FusedMatMul</c> with <c>transB</c> on the weight as stored (no Transpose node).</remarks>
    public static GraphValue Linear(GraphBuilder g, string path, GraphValue x, int inFeatures, int outFeatures, bool bias = true, string? role = null)
    {
        string node = role is null ? path : $"{path}/{role}";
        var w = g.Weight($"{path}.weight", [outFeatures, inFeatures], "out_features × in_features");
        var y = g.FusedMatMul(node, x, w, transB: true);
        return bias ? g.Add(node, y, g.Weight($"{path}.bias", [outFeatures], "out_features")) : y;
    }

    /// <summary><c>nn.SiLU</c>: <c>x · sigmoid(x)</c>, one <c>QuickGelu</c> with alpha 1.</summary>
    public static GraphValue Silu(GraphBuilder g, string path, GraphValue x) => g.QuickGelu(path, x, 1.0);

    /// <summary><c>nn.Conv2d(in, out, k, stride, padding, groups, bias)</c> on NCHW; weight [out, in/groups, k, k].</summary>
    public static GraphValue Conv2d(GraphBuilder g, string path, GraphValue x, int inChannels, int outChannels, int kernel,
        int stride = 1, int padding = 0, int groups = 1, bool bias = true, string? role = null)
    {
        string node = role is null ? path : $"{path}/{role}";
        var w = g.Weight($"{path}.weight", [outChannels, inChannels / groups, kernel, kernel], "out_channels × in_channels/groups × k × k");
        var b = bias ? g.Weight($"{path}.bias", [outChannels], "out_channels") : null;
        return g.Conv(node, x, w, b, [kernel, kernel], [stride, stride], [padding, padding, padding, padding], groups);
    }

    /// <summary>Tokens [B, N, C] → image [B, C, h, w], with <paramref name="spatialShape"/> = [h, w] (int64).</summary>
    public static GraphValue TokensToImage(GraphBuilder g, string path, GraphValue tokens, GraphValue spatialShape) =>
        TokensToImageOfShape(g, path, tokens, ImageShape(g, path, spatialShape));

    /// <summary>The Reshape target <c>[0, 0, h, w]</c> (batch and channels kept) for <see cref="TokensToImageOfShape"/>.</summary>
    public static GraphValue ImageShape(GraphBuilder g, string path, GraphValue spatialShape) =>
        g.Concat($"{path}/to_image", 0, g.Const(0, 0), spatialShape);

    /// <summary>Tokens [B, N, C] → image [B, C, h, w], with <paramref name="imageShape"/> from <see cref="ImageShape"/>.</summary>
    public static GraphValue TokensToImageOfShape(GraphBuilder g, string path, GraphValue tokens, GraphValue imageShape)
    {
        var t = g.Transpose($"{path}/to_image", tokens, 0, 2, 1); // [B, C, N]
        return g.Reshape($"{path}/to_image", t, imageShape);
    }

    /// <summary>Image [B, C, h, w] → tokens [B, N, C].</summary>
    public static GraphValue ImageToTokens(GraphBuilder g, string path, GraphValue image, int channels)
    {
        var flat = g.Reshape($"{path}/to_tokens", image, 0, channels, -1);
        return g.Transpose($"{path}/to_tokens", flat, 0, 2, 1);
    }

    /// <summary>
    /// Sana's linear self-attention (<c>Attention</c> with <c>SanaLinearAttnProcessor2_0</c>) on tokens [B, N, D]:
    /// <code>
    ///  x ─┬─ to_q ─ norm_q? ─ ReLU ─ Q [B,H,d,N] ────────────────────┐
    ///     ├─ to_k ─ norm_k? ─ ReLU ─ K [B,H,N,d] ─┬─ ReduceSum_N ─ k̄ [B,H,1,d]
    ///     └─ to_v ─────────────────  V [B,H,d,N] ─┤                 │
    ///                        S = V·K  [B,H,d,d] ──┘                 │
    ///          num = S·Q [B,H,d,N]          den = k̄·Q [B,H,1,N] ────┘
    ///          out = num / (den + 1e-15)  → [B,N,H·d] → to_out.0 (→ clip ±65504 in fp16)
    /// </code>
    /// diffusers pads V with a row of ones so that one MatMul yields num and den (den = last row); computing
    /// <c>k̄·Q</c> separately is the same sum without negative-index slicing. Everything after the projections and
    /// norms runs in float32 (diffusers upcasts q, k, v; 1e-15 is zero in fp16).
    /// </summary>
    /// <param name="g">Graph.</param>
    /// <param name="path">Module path (<c>transformer_blocks.i.attn1</c>).</param>
    /// <param name="x">Tokens [B, N, D].</param>
    /// <param name="dim">D (query dim).</param>
    /// <param name="heads">Heads H.</param>
    /// <param name="headDim">d.</param>
    /// <param name="qkvBias">Whether to_q/to_k/to_v have biases (<c>attention_bias</c>).</param>
    /// <param name="qkNorm">RMSNorm across heads on q and k (eps 1e-5), as Sprint's <c>rms_norm_across_heads</c>.</param>
    public static GraphValue LinearAttention(GraphBuilder g, string path, GraphValue x, int dim, int heads, int headDim, bool qkvBias, bool qkNorm)
    {
        int inner = heads * headDim;
        var q = Linear(g, $"{path}.to_q", x, dim, inner, qkvBias);
        var k = Linear(g, $"{path}.to_k", x, dim, inner, qkvBias);
        var v = Linear(g, $"{path}.to_v", x, dim, inner, qkvBias);
        if (qkNorm)
        {
            q = Normalization.RmsNorm(g, $"{path}.norm_q", q, inner, 1e-5);
            k = Normalization.RmsNorm(g, $"{path}.norm_k", k, inner, 1e-5);
        }
        q = g.CastIfNeeded($"{path}/q/fp32", g.Relu($"{path}/q", q), DT.Float);
        k = g.CastIfNeeded($"{path}/k/fp32", g.Relu($"{path}/k", k), DT.Float);
        v = g.CastIfNeeded($"{path}/v/fp32", v, DT.Float);

        var qh = g.Transpose($"{path}/q", g.Reshape($"{path}/q", q, 0, 0, heads, headDim), 0, 2, 3, 1); // [B,H,d,N]
        var kh = g.Transpose($"{path}/k", g.Reshape($"{path}/k", k, 0, 0, heads, headDim), 0, 2, 1, 3); // [B,H,N,d]
        var vh = g.Transpose($"{path}/v", g.Reshape($"{path}/v", v, 0, 0, heads, headDim), 0, 2, 3, 1); // [B,H,d,N]

        var scores = g.MatMul($"{path}/vk", vh, kh);                      // [B,H,d,d]
        var num = g.MatMul($"{path}/num", scores, qh);                    // [B,H,d,N]
        var kSum = g.ReduceSum($"{path}/k_sum", kh, [2]);                 // [B,H,1,d]
        var den = g.MatMul($"{path}/den", kSum, qh);                      // [B,H,1,N]
        var o = g.Div(path, num, g.Add($"{path}/den", den, g.Scalar(1e-15, DT.Float)));

        o = g.Reshape($"{path}/merge_heads", o, 0, inner, -1);           // [B, H·d, N] (head-major channels)
        o = g.Transpose($"{path}/merge_heads", o, 0, 2, 1);              // [B, N, H·d]
        o = g.CastIfNeeded($"{path}/output", o, g.ComputeType);
        o = Linear(g, $"{path}.to_out.0", o, inner, dim);
        if (g.ComputeType == DT.Float16)
            o = g.Clip($"{path}/clip", o, g.Scalar(-65504, DT.Float16), g.Scalar(65504, DT.Float16));
        return o;
    }

    /// <summary>
    /// Softmax cross-attention (<c>Attention</c> with <c>SanaAttnProcessor2_0</c>): q from tokens [B, N, D], k and v
    /// from the context [B, S, Dc], optional RMSNorm across heads on q and k (eps 1e-5), the mask,
    /// <c>softmax(q·kᵀ/√d + (1 − mask)·(−10000))·v</c>, heads merged, <c>to_out.0</c>: the attention itself is one
    /// <c>com.microsoft.MultiHeadAttention</c> (its kernels accumulate the scores and softmax in float32).
    /// </summary>
    /// <param name="g">Graph.</param>
    /// <param name="path">Module path (<c>transformer_blocks.i.attn2</c>).</param>
    /// <param name="x">Tokens [B, N, D].</param>
    /// <param name="context">Caption tokens [B, S, Dc].</param>
    /// <param name="keyPaddingMask">int32 [B, S], 1 = attend (<see cref="SanaTransformer2DModel.CrossAttentionMask"/>), or null.</param>
    /// <param name="queryDim">D.</param>
    /// <param name="contextDim">Dc.</param>
    /// <param name="heads">Heads.</param>
    /// <param name="headDim">Head size.</param>
    /// <param name="qkNorm">RMSNorm across heads on q and k.</param>
    public static GraphValue CrossAttention(GraphBuilder g, string path, GraphValue x, GraphValue context, GraphValue? keyPaddingMask,
        int queryDim, int contextDim, int heads, int headDim, bool qkNorm)
    {
        int inner = heads * headDim;
        var q = Linear(g, $"{path}.to_q", x, queryDim, inner);
        var k = Linear(g, $"{path}.to_k", context, contextDim, inner);
        var v = Linear(g, $"{path}.to_v", context, contextDim, inner);
        if (qkNorm)
        {
            q = Normalization.RmsNorm(g, $"{path}.norm_q", q, inner, 1e-5);
            k = Normalization.RmsNorm(g, $"{path}.norm_k", k, inner, 1e-5);
        }
        var o = g.MultiHeadAttention(path, q, k, v, keyPaddingMask, heads);
        return Linear(g, $"{path}.to_out.0", o, inner, queryDim);
    }

    /// <summary>
    /// <c>GLUMBConv(in, out, expand_ratio, norm_type=None, residual_connection=False)</c> on an image [B, C, h, w]:
    /// 1×1 <c>conv_inverted</c> (C → 2·hid) → SiLU → 3×3 depthwise <c>conv_depth</c> → split [a | gate] →
    /// <c>a · SiLU(gate)</c> → 1×1 <c>conv_point</c> (hid → out, no bias), with hid = int(expand_ratio · C).
    /// </summary>
    public static GraphValue GluMbConv(GraphBuilder g, string path, GraphValue x, int inChannels, int outChannels, double expandRatio)
    {
        int hidden = (int)(expandRatio * inChannels);
        var h = Conv2d(g, $"{path}.conv_inverted", x, inChannels, hidden * 2, 1);
        h = Silu(g, $"{path}.nonlinearity", h);
        h = Conv2d(g, $"{path}.conv_depth", h, hidden * 2, hidden * 2, 3, padding: 1, groups: hidden * 2);
        var parts = g.Split($"{path}/chunk", h, 1, hidden, hidden);
        h = g.Mul($"{path}/glu", parts[0], Silu(g, $"{path}.nonlinearity/gate", parts[1]));
        return Conv2d(g, $"{path}.conv_point", h, hidden, outChannels, 1, bias: false);
    }
}
