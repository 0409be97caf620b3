// Ported from diffusers sana_transformer.py (GLUMBConv, SanaModulatedNorm, SanaCombinedTimestepGuidanceEmbeddings,
// SanaTransformerBlock, SanaTransformer2DModel) @ 58eb52c.
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Models;

/// <summary>
/// The Sana / SANA-Sprint diffusion transformer as an ONNX graph. One builder serves both variants, read from the
/// config as diffusers does: Sprint (<c>guidance_embeds</c> adds a guidance embedding and a <c>guidance</c> input;
/// <c>qk_norm="rms_norm_across_heads"</c> adds RMSNorm on q and k) and standard Sana (neither; time embedding via
/// <c>AdaLayerNormSingle</c>).
/// </summary>
/// <remarks>
/// Graph contract: inputs <c>hidden_states</c> [batch, in_channels, height, width], <c>encoder_hidden_states</c>
/// [batch, text_len, caption_channels], <c>encoder_attention_mask</c> int64 [batch, text_len] (1 = keep),
/// <c>timestep</c> [batch], <c>guidance</c> [batch] (Sprint only; already × guidance_embeds_scale), and with
/// <see cref="ModelBuildOptions.ControlBlocks"/> = n: <c>controlnet_block_samples_0..n−1</c> [batch, tokens, inner_dim].
/// Output <c>sample</c> [batch, out_channels, height, width]. Batch, text length and spatial size are dynamic.
/// ControlNet residuals follow <see cref="ModelBuildOptions.ControlNetWiring"/>: diffusers adds residual k−1 after
/// block k (0 &lt; k ≤ n); NVlabs adds residual i after block i (before block i + 1).
/// </remarks>
public static class SanaTransformer2DModel
{
    /// <summary>The qk-norm value of Sprint checkpoints.</summary>
    public const string RmsNormAcrossHeads = "rms_norm_across_heads";

    /// <summary>Builds the graph.</summary>
    /// <exception cref="CheckpointException">Unsupported config values, or weights that do not fit the config.</exception>
    /// <exception cref="ArgumentException"><c>ControlBlocks</c> outside 0..num_layers.</exception>
    public static GraphBuilder Build(SanaTransformer2DConfig config, SafetensorsCheckpoint weights, ModelBuildOptions options,
        IProgress<GraphBuildProgress>? progress = null)
    {
        Validate(config, weights.Path);
        if (options.ControlBlocks < 0 || options.ControlBlocks > config.NumLayers)
            throw new ArgumentException($"`control_blocks` must be 0–{config.NumLayers} (num_layers) but is {options.ControlBlocks}.", nameof(options));
        int d = config.InnerDim;
        var g = new GraphBuilder(nameof(SanaTransformer2DModel), options.Precision, weights);

        var hiddenIn = g.Input("hidden_states", DT.Float, "batch", (long)config.InChannels, "height", "width");
        var textIn = g.Input("encoder_hidden_states", DT.Float, "batch", "text_len", (long)config.CaptionChannels);
        var maskIn = g.Input("encoder_attention_mask", DT.Int64, "batch", "text_len");
        var timestep = g.Input("timestep", DT.Float, "batch");
        var guidance = config.GuidanceEmbeds ? g.Input("guidance", DT.Float, "batch") : null;
        var control = Enumerable.Range(0, options.ControlBlocks)
            .Select(i => g.Input($"controlnet_block_samples_{i}", DT.Float, "batch", "tokens", (long)d)).ToArray();

        // 1. Input
        var hidden = g.CastIfNeeded("hidden_states/cast", hiddenIn, g.ComputeType);
        var (x, spatial) = Embeddings.PatchEmbed(g, "patch_embed", hidden, config.InChannels, d, config.PatchSize);
        var (t6, embeddedTimestep) = TimeEmbedding(g, config, timestep, guidance);
        var context = CaptionEmbedding(g, config, textIn);
        var shared = SharedBlockInputs.Build(g, config, context, maskIn, t6, spatial);

        // 2. Transformer blocks
        for (int i = 0; i < config.NumLayers; i++)
        {
            if (options.ControlNetWiring == ControlNetWiring.NvLabs && i >= 1 && i <= control.Length)
                x = AddControlResidual(g, i - 1, x, control[i - 1]); // NVlabs: residual i−1 enters block i
            x = Block(g, config, $"transformer_blocks.{i}", x, shared);
            if (options.ControlNetWiring == ControlNetWiring.Diffusers && i >= 1 && i <= control.Length)
                x = AddControlResidual(g, i - 1, x, control[i - 1]); // diffusers: residual k−1 after block k
            progress?.Report(new GraphBuildProgress("building graph", i + 1, config.NumLayers));
        }

        // 3. Normalization
        var table = g.Weight("scale_shift_table", [2, d], "2 × inner_dim");
        x = Normalization.SanaModulatedNorm(g, "norm_out", x, embeddedTimestep, table, d, 1e-6);
        int p = config.PatchSize, outC = config.ResolvedOutChannels;
        x = Layers.Linear(g, "proj_out", x, d, p * p * outC);

        // 4. Unpatchify: [B, h·w, p·p·C] → [B, h, w, p, p, C] → [B, C, h, p, w, p] → [B, C, h·p, w·p]
        GraphValue sample;
        if (p == 1)
            sample = Layers.TokensToImage(g, "unpatchify", x, spatial);
        else
        {
            var s6 = g.Concat("unpatchify/shape6", 0, g.Const(0), spatial, g.Const(p, p, outC));
            var y = g.Transpose("unpatchify", g.Reshape("unpatchify/split", x, s6), 0, 5, 1, 3, 2, 4);
            var s4 = g.Concat("unpatchify/shape4", 0, g.Const(0, outC), g.Shape("unpatchify/input_size", hiddenIn, 2, 4));
            sample = g.Reshape("unpatchify/merge", y, s4);
        }
        g.Output(g.CastIfNeeded("sample/cast", sample, DT.Float), "sample", "batch", (long)outC, "height", "width");
        weights.EnsureAllUsed();
        return g;
    }

    /// <summary>Fails for config values this builder does not implement.</summary>
    /// <exception cref="CheckpointException">Unsupported value (the message names the config key).</exception>
    internal static void Validate(SanaTransformer2DConfig c, string path)
    {
        if (c.QkNorm is not null && c.QkNorm != RmsNormAcrossHeads)
            throw new CheckpointException(path, null, $"config qk_norm '{c.QkNorm}' is not supported (supported: null, '{RmsNormAcrossHeads}').");
        if (c.InterpolationScale is not null)
            throw new CheckpointException(path, null, "config interpolation_scale is set (sin-cos positional embedding), which is not supported; SANA and SANA-Sprint use null.");
        if (c.CrossAttentionDim is null || c.NumCrossAttentionHeads is null || c.CrossAttentionHeadDim is null)
            throw new CheckpointException(path, null, "config cross_attention_dim, num_cross_attention_heads and cross_attention_head_dim must be set.");
        if (c.NumLayers <= 0 || c.NumAttentionHeads <= 0 || c.AttentionHeadDim <= 0 || c.PatchSize <= 0)
            throw new CheckpointException(path, null, "config num_layers, num_attention_heads, attention_head_dim and patch_size must be positive.");
    }

    /// <summary>
    /// The cross-attention mask every block uses, made once: <c>encoder_attention_mask</c> (1 = keep, 0 = discard) as
    /// MultiHeadAttention's int32 key padding mask [B, S], which adds −10000 where it is 0, as diffusers'
    /// <c>(1 − mask)·(−10000)</c> bias does.
    /// </summary>
    internal static GraphValue CrossAttentionMask(GraphBuilder g, GraphValue mask) => g.Cast("encoder_attention_mask/int32", mask, DT.Int32);

    /// <summary>
    /// 2. Additional condition embeddings: <c>SanaCombinedTimestepGuidanceEmbeddings</c> (guidance_embeds) or
    /// <c>AdaLayerNormSingle</c>. Returns (modulation [B, 6D], embedded timestep [B, D]).
    /// </summary>
    internal static (GraphValue Modulation, GraphValue Embedded) TimeEmbedding(GraphBuilder g, SanaTransformer2DConfig c, GraphValue timestep, GraphValue? guidance)
    {
        int d = c.InnerDim;
        if (!c.GuidanceEmbeds)
            return Normalization.AdaLayerNormSingle(g, "time_embed", timestep, d);

        // SanaCombinedTimestepGuidanceEmbeddings
        var tProj = Embeddings.Timesteps(g, "time_embed.time_proj", timestep, 256, flipSinToCos: true, downscaleFreqShift: 0);
        var tEmb = Embeddings.TimestepEmbedding(g, "time_embed.timestep_embedder", tProj, 256, d);
        var gProj = Embeddings.Timesteps(g, "time_embed.guidance_condition_proj", guidance!, 256, flipSinToCos: true, downscaleFreqShift: 0);
        var gEmb = Embeddings.TimestepEmbedding(g, "time_embed.guidance_embedder", gProj, 256, d);
        var conditioning = g.Add("time_embed/conditioning", tEmb, gEmb);
        var t6 = Layers.Linear(g, "time_embed.linear", Layers.Silu(g, "time_embed.silu", conditioning), d, 6 * d);
        return (t6, conditioning);
    }

    /// <summary><c>caption_projection</c> then <c>caption_norm</c> (RMSNorm eps 1e-5): [B, S, caption_channels] → [B, S, D].</summary>
    internal static GraphValue CaptionEmbedding(GraphBuilder g, SanaTransformer2DConfig c, GraphValue text)
    {
        var t = g.CastIfNeeded("encoder_hidden_states/cast", text, g.ComputeType);
        t = Embeddings.PixArtAlphaTextProjection(g, "caption_projection", t, c.CaptionChannels, c.InnerDim);
        return Normalization.RmsNorm(g, "caption_norm", t, c.InnerDim, 1e-5);
    }

    private static GraphValue AddControlResidual(GraphBuilder g, int index, GraphValue x, GraphValue residual) =>
        g.Add($"controlnet_block_samples_{index}/add", x, g.CastIfNeeded($"controlnet_block_samples_{index}/cast", residual, x.Type));

    /// <summary>
    /// What every <see cref="Block"/> of a graph reads that does not depend on the block, made once per graph instead of
    /// once per block: the caption tokens, the cross-attention mask, the time modulation <c>t6</c> as [B, 6, D] with 1
    /// already added to its two scale rows, and the Reshape target of the tokens' image.
    /// </summary>
    /// <param name="Context">Caption tokens [B, S, D].</param>
    /// <param name="Mask">From <see cref="CrossAttentionMask"/>.</param>
    /// <param name="Modulation"><c>t6.reshape(B, 6, D)</c> + [0, 1, 0, 0, 1, 0] (the "1 +" of both modulations).</param>
    /// <param name="ImageShape"><c>[0, 0, h, w]</c> for the feed-forward's token image.</param>
    internal sealed record SharedBlockInputs(GraphValue Context, GraphValue Mask, GraphValue Modulation, GraphValue ImageShape)
    {
        /// <summary>Makes the shared inputs from the graph's caption tokens, mask input, <c>t6</c> [B, 6D] and [h, w].</summary>
        public static SharedBlockInputs Build(GraphBuilder g, SanaTransformer2DConfig c, GraphValue context, GraphValue maskInput,
            GraphValue t6, GraphValue spatial)
        {
            int d = c.InnerDim;
            // Rows of scale_shift_table + t6: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp.
            var onePlusScale = g.Floats(t6.Type, [.. Enumerable.Range(0, 6 * d).Select(i => i / d is 1 or 4 ? 1.0 : 0.0)]);
            var modulation = g.Add("transformer_blocks/modulation/one_plus_scale",
                g.Reshape("transformer_blocks/modulation", t6, 0, 6, d), g.Reshape("transformer_blocks/modulation/offsets", onePlusScale, 6, d));
            return new SharedBlockInputs(context, CrossAttentionMask(g, maskInput), modulation,
                Layers.ImageShape(g, "transformer_blocks.ff", spatial));
        }
    }

    /// <summary>
    /// <c>SanaTransformerBlock.forward</c> on tokens [B, N, D]. Shared with <see cref="SanaControlNetModel"/>, whose blocks
    /// are the same module (built from a config without qk-norm).
    /// </summary>
    internal static GraphValue Block(GraphBuilder g, SanaTransformer2DConfig c, string path, GraphValue x, SharedBlockInputs shared)
    {
        int d = c.InnerDim;
        bool qkNorm = c.QkNorm == RmsNormAcrossHeads;

        // 1. Modulation: scale_shift_table[6, D] + t6.reshape(B, 6, D) → shift/scale/gate for attention and MLP
        //    (the scales arrive as 1 + scale, see SharedBlockInputs)
        var table = g.Weight($"{path}.scale_shift_table", [6, d], "6 × inner_dim");
        var mod = g.Add($"{path}/modulation", table, shared.Modulation);
        var m = g.Split($"{path}/modulation", mod, 1, 1, 1, 1, 1, 1, 1);
        GraphValue shiftMsa = m[0], onePlusScaleMsa = m[1], gateMsa = m[2], shiftMlp = m[3], onePlusScaleMlp = m[4], gateMlp = m[5];

        // 2. Self Attention (linear)
        var n = Normalization.LayerNormNoAffine(g, $"{path}.norm1", x, d, c.NormEps);
        n = g.Add($"{path}.norm1/modulate/shift", g.Mul($"{path}.norm1/modulate/scale", n, onePlusScaleMsa), shiftMsa);
        var attn = Layers.LinearAttention(g, $"{path}.attn1", n, d, c.NumAttentionHeads, c.AttentionHeadDim, c.AttentionBias, qkNorm);
        x = g.Add($"{path}.attn1/residual", x, g.Mul($"{path}.attn1/gate", gateMsa, attn));

        // 3. Cross Attention (no norm, no modulation before it)
        var cross = Layers.CrossAttention(g, $"{path}.attn2", x, shared.Context, shared.Mask, d, c.CrossAttentionDim!.Value,
            c.NumCrossAttentionHeads!.Value, c.CrossAttentionHeadDim!.Value, qkNorm);
        x = g.Add($"{path}.attn2/residual", cross, x);

        // 4. Feed-forward (GLUMBConv on the [B, D, h, w] image of the tokens)
        n = Normalization.LayerNormNoAffine(g, $"{path}.norm2", x, d, c.NormEps);
        n = g.Add($"{path}.norm2/modulate/shift", g.Mul($"{path}.norm2/modulate/scale", n, onePlusScaleMlp), shiftMlp);
        var img = Layers.TokensToImageOfShape(g, $"{path}.ff", n, shared.ImageShape);
        var ff = Layers.ImageToTokens(g, $"{path}.ff", Layers.GluMbConv(g, $"{path}.ff", img, d, d, c.MlpRatio), d);
        return g.Add($"{path}.ff/residual", x, g.Mul($"{path}.ff/gate", gateMlp, ff));
    }
}
