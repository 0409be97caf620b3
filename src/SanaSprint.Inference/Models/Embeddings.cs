// Ported from diffusers embeddings.py (get_timestep_embedding, Timesteps, TimestepEmbedding, PatchEmbed,
// PixArtAlphaTextProjection) @ 58eb52c.
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Models;

/// <summary>Embedding layers shared by the model families.</summary>
public static class Embeddings
{
    /// <summary>
    /// <c>Timesteps(num_channels, flip_sin_to_cos, downscale_freq_shift)</c>: <c>freqs_i = exp(−ln(10000)·i/(half − shift))</c>,
    /// <c>args = t·freqs</c>, output <c>[sin, cos]</c> (or <c>[cos, sin]</c> when flipped). Always computed in float32
    /// (an fp32 island: large arguments lose everything in fp16); returned in the graph's compute type.
    /// </summary>
    /// <param name="g">Graph.</param>
    /// <param name="path">Module path.</param>
    /// <param name="t">Timesteps [B], float32.</param>
    /// <param name="channels">Output channels (even).</param>
    /// <param name="flipSinToCos">Put cos first.</param>
    /// <param name="downscaleFreqShift">Frequency shift.</param>
    public static GraphValue Timesteps(GraphBuilder g, string path, GraphValue t, int channels, bool flipSinToCos, double downscaleFreqShift)
    {
        int half = channels / 2;
        var freqs = new double[half];
        for (int i = 0; i < half; i++)
            freqs[i] = (float)Math.Exp(-Math.Log(10000) * i / (half - downscaleFreqShift)); // torch computes exp in float32
        var t32 = g.CastIfNeeded($"{path}/input", t, DT.Float);
        var args = g.Mul(path, g.Unsqueeze(path, t32, 1), g.Floats(DT.Float, freqs)); // [B, half]
        var sin = g.Sin(path, args);
        var cos = g.Cos(path, args);
        var emb = flipSinToCos ? g.Concat(path, -1, cos, sin) : g.Concat(path, -1, sin, cos);
        return g.CastIfNeeded($"{path}/output", emb, g.ComputeType);
    }

    /// <summary><c>TimestepEmbedding(in, dim)</c>: <c>linear_1</c> → SiLU → <c>linear_2</c>.</summary>
    public static GraphValue TimestepEmbedding(GraphBuilder g, string path, GraphValue x, int inChannels, int dim)
    {
        var h = Layers.Linear(g, $"{path}.linear_1", x, inChannels, dim);
        h = Layers.Silu(g, $"{path}.act", h);
        return Layers.Linear(g, $"{path}.linear_2", h, dim, dim);
    }

    /// <summary><c>PixArtAlphaTextProjection(in, hidden, act_fn="gelu_tanh")</c>: <c>linear_1</c> → GELU(tanh) → <c>linear_2</c>.</summary>
    public static GraphValue PixArtAlphaTextProjection(GraphBuilder g, string path, GraphValue x, int inFeatures, int hidden)
    {
        var h = Layers.Linear(g, $"{path}.linear_1", x, inFeatures, hidden);
        h = g.Gelu($"{path}.act_1", h, "tanh");
        return Layers.Linear(g, $"{path}.linear_2", h, hidden, hidden);
    }

    /// <summary>
    /// <c>PatchEmbed</c> without positional embedding: conv p×p stride p (<c>{path}.proj</c>), then flatten to tokens
    /// [B, N, D] (token = y·w + x). Also returns the post-patch spatial shape [h, w] (int64, computed in the graph).
    /// </summary>
    /// <exception cref="CheckpointException">Shape mismatch of <c>{path}.proj</c>.</exception>
    public static (GraphValue Tokens, GraphValue SpatialShape) PatchEmbed(GraphBuilder g, string path, GraphValue x, int inChannels, int dim,
        int patchSize, string? role = null)
    {
        string node = role is null ? path : $"{path}/{role}";
        var conv = Layers.Conv2d(g, $"{path}.proj", x, inChannels, dim, patchSize, stride: patchSize, padding: 0, role: role);
        var spatial = g.Shape($"{node}/spatial", conv, 2, 4);
        var flat = g.Reshape($"{node}/flatten", conv, 0, dim, -1);     // [B, D, N]
        return (g.Transpose($"{node}/flatten", flat, 0, 2, 1), spatial); // [B, N, D]
    }
}
