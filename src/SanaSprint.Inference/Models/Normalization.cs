// Ported from diffusers normalization.py (RMSNorm, AdaLayerNormSingle) and sana_transformer.py (SanaModulatedNorm) @ 58eb52c.
using SanaSprint.Inference.Onnx;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Models;

/// <summary>Normalisation layers shared by the model families. All statistics are computed in float32 (an fp32
/// island in fp16 graphs); results come back in the input's element type.</summary>
public static class Normalization
{
    /// <summary>
    /// <c>nn.LayerNorm(dim, elementwise_affine=False, eps)</c> over the last axis: LayerNormalization with a constant
    /// ones scale and no bias (its statistics are float32 whatever the element type: stash_type 1).
    /// </summary>
    public static GraphValue LayerNormNoAffine(GraphBuilder g, string path, GraphValue x, int dim, double eps) =>
        g.LayerNormalization(path, x, g.Floats(x.Type, [.. Enumerable.Repeat(1.0, dim)]), null, eps);

    /// <summary>
    /// diffusers <c>RMSNorm(dim, eps, elementwise_affine=True[, bias])</c> over the last axis:
    /// <c>x · rsqrt(mean(x²) + eps) · weight (+ bias)</c> as one <c>SimplifiedLayerNormalization</c> (its variance is float32
    /// whatever the element type). The weight is used as is (not 1 + w).
    /// </summary>
    /// <param name="g">Graph.</param>
    /// <param name="path">Module path; weights are <c>{path}.weight</c> (and <c>{path}.bias</c>).</param>
    /// <param name="x">Input [..., dim].</param>
    /// <param name="dim">Normalised size.</param>
    /// <param name="eps">Epsilon.</param>
    /// <param name="bias">Whether the module has a bias.</param>
    public static GraphValue RmsNorm(GraphBuilder g, string path, GraphValue x, int dim, double eps, bool bias = false)
    {
        var normed = g.SimplifiedLayerNormalization(path, x, g.Weight($"{path}.weight", [dim], "norm dim", x.Type), eps);
        return bias ? g.Add($"{path}/bias", normed, g.Weight($"{path}.bias", [dim], "norm dim", x.Type)) : normed;
    }

    /// <summary><c>x · (1 + scale) + shift</c> (all broadcastable, same element type).</summary>
    public static GraphValue Modulate(GraphBuilder g, string path, GraphValue x, GraphValue shift, GraphValue scale)
    {
        var onePlus = g.Add($"{path}/scale", scale, g.ScalarLike(scale, 1.0));
        return g.Add($"{path}/shift", g.Mul($"{path}/scale", x, onePlus), shift);
    }

    /// <summary>
    /// <c>SanaModulatedNorm</c>: <c>LayerNorm(x)·(1 + scale) + shift</c> with <c>shift, scale = (table[2, D] + temb[:, None])</c>.
    /// </summary>
    /// <param name="g">Graph.</param>
    /// <param name="path">Module path of the norm (<c>norm_out</c>).</param>
    /// <param name="x">Tokens [B, N, D].</param>
    /// <param name="temb">Embedded timestep [B, D].</param>
    /// <param name="table">The <c>scale_shift_table</c> [2, D].</param>
    /// <param name="dim">D.</param>
    /// <param name="eps">LayerNorm epsilon.</param>
    public static GraphValue SanaModulatedNorm(GraphBuilder g, string path, GraphValue x, GraphValue temb, GraphValue table, int dim, double eps)
    {
        var n = LayerNormNoAffine(g, $"{path}.norm", x, dim, eps);
        var mod = g.Add($"{path}/scale_shift", table, g.Unsqueeze(path, temb, 1)); // [B, 2, D]
        var parts = g.Split(path, mod, 1, 1, 1);
        return Modulate(g, path, n, parts[0], parts[1]);
    }

    /// <summary>
    /// <c>AdaLayerNormSingle(D)</c>: <c>emb = PixArtAlphaCombinedTimestepSizeEmbeddings</c> (sinusoid 256 →
    /// <c>{path}.emb.timestep_embedder</c>), then <c>linear(SiLU(emb))</c> → 6·D. Returns (t6 [B, 6D], embedded [B, D]).
    /// </summary>
    public static (GraphValue Modulation, GraphValue Embedded) AdaLayerNormSingle(GraphBuilder g, string path, GraphValue timestep, int dim)
    {
        var proj = Embeddings.Timesteps(g, $"{path}.emb.time_proj", timestep, 256, flipSinToCos: true, downscaleFreqShift: 0);
        var embedded = Embeddings.TimestepEmbedding(g, $"{path}.emb.timestep_embedder", proj, 256, dim);
        var t6 = Layers.Linear(g, $"{path}.linear", Layers.Silu(g, $"{path}.silu", embedded), dim, 6 * dim);
        return (t6, embedded);
    }
}
