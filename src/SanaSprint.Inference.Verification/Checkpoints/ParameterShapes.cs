using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Every parameter each model family's diffusers module stores for a config, with its shape, in diffusers' order: what
/// the graph builders read. Used to write random checkpoints in the real layout (tests, benches).
/// </summary>
public static class ParameterShapes
{
    /// <summary>
    /// Every parameter a diffusers <c>SanaTransformer2DModel</c> with this config stores, with its shape, in diffusers'
    /// order: what the graph builder reads. Used to write test and benchmark checkpoints in the real layout.
    /// </summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ForTransformer(SanaTransformer2DConfig c)
    {
        long d = c.InnerDim, p = c.PatchSize;
        var list = new List<(string, long[])> { ("patch_embed.proj.weight", [d, c.InChannels, p, p]), ("patch_embed.proj.bias", [d]) };
        string[] embedders = c.GuidanceEmbeds ? ["time_embed.timestep_embedder", "time_embed.guidance_embedder"] : ["time_embed.emb.timestep_embedder"];
        foreach (var e in embedders)
            list.AddRange([($"{e}.linear_1.weight", [d, 256]), ($"{e}.linear_1.bias", [d]), ($"{e}.linear_2.weight", [d, d]), ($"{e}.linear_2.bias", [d])]);
        list.AddRange([("time_embed.linear.weight", [6 * d, d]), ("time_embed.linear.bias", [6 * d])]);
        list.AddRange([
            ("caption_projection.linear_1.weight", [d, c.CaptionChannels]), ("caption_projection.linear_1.bias", [d]),
            ("caption_projection.linear_2.weight", [d, d]), ("caption_projection.linear_2.bias", [d]), ("caption_norm.weight", [d])]);
        for (int i = 0; i < c.NumLayers; i++)
            list.AddRange(ForTransformerBlock(c, $"transformer_blocks.{i}"));
        list.AddRange([("scale_shift_table", [2, d]), ("proj_out.weight", [p * p * c.ResolvedOutChannels, d]), ("proj_out.bias", [p * p * c.ResolvedOutChannels])]);
        return list;
    }

    /// <summary>The parameters of one <c>SanaTransformerBlock</c> under <paramref name="path"/>.</summary>
    private static IEnumerable<(string Name, long[] Shape)> ForTransformerBlock(SanaTransformer2DConfig c, string path)
    {
        long d = c.InnerDim, inner = c.NumAttentionHeads * c.AttentionHeadDim;
        long cross = c.NumCrossAttentionHeads!.Value * (long)c.CrossAttentionHeadDim!.Value, ctx = c.CrossAttentionDim!.Value;
        long hid = (long)(c.MlpRatio * c.InnerDim);
        bool qk = c.QkNorm == SanaTransformer2DModel.RmsNormAcrossHeads;
        yield return ($"{path}.scale_shift_table", [6, d]);
        foreach (var n in new[] { "to_q", "to_k", "to_v" })
        {
            yield return ($"{path}.attn1.{n}.weight", [inner, d]);
            if (c.AttentionBias) yield return ($"{path}.attn1.{n}.bias", [inner]);
        }
        if (qk) { yield return ($"{path}.attn1.norm_q.weight", [inner]); yield return ($"{path}.attn1.norm_k.weight", [inner]); }
        yield return ($"{path}.attn1.to_out.0.weight", [d, inner]);
        yield return ($"{path}.attn1.to_out.0.bias", [d]);
        yield return ($"{path}.attn2.to_q.weight", [cross, d]);
        yield return ($"{path}.attn2.to_q.bias", [cross]);
        yield return ($"{path}.attn2.to_k.weight", [cross, ctx]);
        yield return ($"{path}.attn2.to_k.bias", [cross]);
        yield return ($"{path}.attn2.to_v.weight", [cross, ctx]);
        yield return ($"{path}.attn2.to_v.bias", [cross]);
        if (qk) { yield return ($"{path}.attn2.norm_q.weight", [cross]); yield return ($"{path}.attn2.norm_k.weight", [cross]); }
        yield return ($"{path}.attn2.to_out.0.weight", [d, cross]);
        yield return ($"{path}.attn2.to_out.0.bias", [d]);
        yield return ($"{path}.ff.conv_inverted.weight", [2 * hid, d, 1, 1]);
        yield return ($"{path}.ff.conv_inverted.bias", [2 * hid]);
        yield return ($"{path}.ff.conv_depth.weight", [2 * hid, 1, 3, 3]);
        yield return ($"{path}.ff.conv_depth.bias", [2 * hid]);
        yield return ($"{path}.ff.conv_point.weight", [d, hid, 1, 1]);
    }

    /// <summary>Every parameter a diffusers <c>SanaControlNetModel</c> with this config stores, with its shape.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ForControlNet(SanaControlNetConfig config)
    {
        var c = config.AsTransformerConfig();
        long d = c.InnerDim;
        var list = ForTransformer(c)
            .Where(p => !p.Name.StartsWith("proj_out.", StringComparison.Ordinal) && p.Name != "scale_shift_table").ToList();
        list.AddRange([("input_block.weight", [d, d]), ("input_block.bias", [d])]);
        for (int i = 0; i < c.NumLayers; i++)
            list.AddRange([($"controlnet_blocks.{i}.weight", [d, d]), ($"controlnet_blocks.{i}.bias", [d])]);
        return list;
    }

    /// <summary>
    /// Every parameter diffusers' <c>AutoencoderDC(**config)</c> has, with its shape, in module order (encoder, then
    /// decoder): the keys and shapes a checkpoint for this config must hold. Useful to write random checkpoints in
    /// diffusers layout (tests, benches, the demo checkpoint).
    /// </summary>
    /// <exception cref="CheckpointException">The config is inconsistent or unsupported (see <see cref="AutoencoderDC.Validate"/>).</exception>
    public static IReadOnlyList<AutoencoderDCParameter> ForAutoencoderDC(AutoencoderDCConfig config)
    {
        AutoencoderDC.Validate(config);
        var list = new List<AutoencoderDCParameter>();
        long d = config.AttentionHeadDim;
        void Conv(string p, long cIn, long cOut, long k, bool bias = true, long groups = 1)
        {
            list.Add(new($"{p}.weight", [cOut, cIn / groups, k, k]));
            if (bias) list.Add(new($"{p}.bias", [cOut]));
        }
        void Norm(string p, long c)
        {
            list.Add(new($"{p}.weight", [c], IsNormWeight: true));
            list.Add(new($"{p}.bias", [c]));
        }
        void Block(string p, string type, long c, int[] scales)
        {
            if (type == "ResBlock")
            {
                Conv($"{p}.conv1", c, c, 3);
                Conv($"{p}.conv2", c, c, 3, bias: false);
                Norm($"{p}.norm", c);
                return;
            }
            long inner = c / d * d;
            foreach (var name in new[] { "to_q", "to_k", "to_v" }) list.Add(new($"{p}.attn.{name}.weight", [inner, c]));
            for (int i = 0; i < scales.Length; i++)
            {
                list.Add(new($"{p}.attn.to_qkv_multiscale.{i}.proj_in.weight", [3 * inner, 1, scales[i], scales[i]]));
                list.Add(new($"{p}.attn.to_qkv_multiscale.{i}.proj_out.weight", [3 * inner, d, 1, 1]));
            }
            list.Add(new($"{p}.attn.to_out.weight", [c, inner * (1 + scales.Length)]));
            Norm($"{p}.attn.norm_out", c);
            Conv($"{p}.conv_out.conv_inverted", c, 8 * c, 1);
            Conv($"{p}.conv_out.conv_depth", 8 * c, 8 * c, 3, groups: 8 * c);
            Conv($"{p}.conv_out.conv_point", 4 * c, c, 1, bias: false);
            Norm($"{p}.conv_out.norm", c);
        }

        bool unshuffle = config.DownsampleBlockType == "pixel_unshuffle", interpolate = config.UpsampleBlockType == "interpolate";
        var enc = config.EncoderBlockOutChannels;
        int n = enc.Length;
        if (config.EncoderLayersPerBlock[0] > 0) Conv("encoder.conv_in", config.InChannels, enc[0], 3);
        else Conv("encoder.conv_in.conv", config.InChannels, unshuffle ? enc[1] / 4 : enc[1], 3);
        for (int i = 0; i < n; i++)
        {
            int layers = config.EncoderLayersPerBlock[i];
            for (int j = 0; j < layers; j++)
                Block($"encoder.down_blocks.{i}.{j}", AutoencoderDCConfig.PerStage(config.EncoderBlockTypes, i), enc[i], config.EncoderQkvMultiscales[i]);
            if (i < n - 1 && layers > 0)
                Conv($"encoder.down_blocks.{i}.{layers}.conv", enc[i], unshuffle ? enc[i + 1] / 4 : enc[i + 1], 3);
        }
        Conv("encoder.conv_out", enc[^1], config.LatentChannels, 3);

        var dec = config.DecoderBlockOutChannels;
        Conv("decoder.conv_in", config.LatentChannels, dec[^1], 3);
        for (int i = n - 1; i >= 0; i--)
        {
            int layers = config.DecoderLayersPerBlock[i], j = 0;
            if (i < n - 1 && layers > 0)
            {
                Conv($"decoder.up_blocks.{i}.0.conv", dec[i + 1], interpolate ? dec[i] : 4 * dec[i], 3);
                j = 1;
            }
            for (int k = 0; k < layers; k++, j++)
                Block($"decoder.up_blocks.{i}.{j}", AutoencoderDCConfig.PerStage(config.DecoderBlockTypes, i), dec[i], config.DecoderQkvMultiscales[i]);
        }
        long last = config.DecoderLayersPerBlock[0] > 0 ? dec[0] : dec[1];
        Norm("decoder.norm_out", last);
        if (config.DecoderLayersPerBlock[0] > 0) Conv("decoder.conv_out", last, config.InChannels, 3);
        else Conv("decoder.conv_out.conv", last, interpolate ? config.InChannels : 4 * config.InChannels, 3);
        return list;
    }
}
