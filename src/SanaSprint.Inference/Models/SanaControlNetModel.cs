// Ported from diffusers controlnet_sana.py (SanaControlNetModel) @ 58eb52c; NVlabs wiring after
// NVlabs/Sana diffusion/model/nets/sana_multi_scale_controlnet.py.
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Models;

/// <summary>
/// The Sana ControlNet as an ONNX graph producing one residual per copied block, for a transformer graph built with
/// the same <see cref="ControlNetWiring"/> and <c>ControlBlocks</c> = <c>num_layers</c>.
/// </summary>
/// <remarks>
/// <para><b>Diffusers wiring</b> (default; diffusers <c>SanaControlNetModel</c>):
/// <code>
/// u = patch_embed(x) + input_block(patch_embed(cond))          (the ControlNet's own embedding, time embed, caption)
/// for i in 0..L−1:  u = transformer_blocks[i](u);  block_i = controlnet_blocks[i](u) · conditioning_scale
/// transformer: residual i is added after main block i + 1
/// </code></para>
/// <para><b>NVlabs wiring</b> (<see cref="ControlNetWiring.NvLabs"/>; NVlabs <c>SanaMSControlNet</c>): the ControlNet
/// starts from the output of <i>main</i> block 0 and its copied blocks use the <i>main</i> model's conditioning
/// (timestep [+ guidance] embedding, caption, mask):
/// <code>
/// h0 = main.transformer_blocks[0](main.patch_embed(x))          (needs BaseTransformerDirectory)
/// u  = h0 + input_block(patch_embed(cond))
/// for i in 0..L−1:  u = transformer_blocks[i](u);  block_i = controlnet_blocks[i](u) · conditioning_scale
/// transformer: residual i is added before main block i + 1 (after main block i)
/// </code>
/// The graph therefore also runs the base transformer's embeddings and block 0 (weights named <c>transformer.*</c>
/// in the graph) and takes <c>guidance</c> when the base is a Sprint model; the ControlNet's own <c>time_embed.*</c>,
/// <c>caption_projection.*</c> and <c>caption_norm.*</c> copies are not used. NVlabs has no conditioning scale (1.0).</para>
/// <para>Graph contract: inputs <c>hidden_states</c>, <c>encoder_hidden_states</c>, <c>encoder_attention_mask</c> (int64),
/// <c>timestep</c>, [<c>guidance</c>], <c>controlnet_cond</c> [batch, in_channels, height, width] (latent-space condition),
/// <c>conditioning_scale</c> [1]; outputs <c>block_0..L−1</c> [batch, tokens, inner_dim].</para>
/// </remarks>
public static class SanaControlNetModel
{
    /// <summary>Builds the graph.</summary>
    /// <exception cref="CheckpointException">Unsupported config values, or weights that do not fit the config.</exception>
    /// <exception cref="ArgumentException">NVlabs wiring without <see cref="ModelBuildOptions.BaseTransformerDirectory"/>.</exception>
    public static GraphBuilder Build(SanaControlNetConfig config, SafetensorsCheckpoint weights, ModelBuildOptions options,
        IProgress<GraphBuildProgress>? progress = null)
    {
        var c = config.AsTransformerConfig();
        SanaTransformer2DModel.Validate(c, weights.Path);
        int d = c.InnerDim;
        var g = new GraphBuilder(nameof(SanaControlNetModel), options.Precision, weights);

        SanaTransformer2DConfig? baseConfig = null;
        SafetensorsCheckpoint? baseWeights = null;
        if (options.ControlNetWiring == ControlNetWiring.NvLabs)
        {
            if (options.BaseTransformerDirectory is null)
                throw new ArgumentException("NVlabs ControlNet wiring needs the base transformer folder (BaseTransformerDirectory).", nameof(options));
            var baseCfg = ComponentConfig.Load(options.BaseTransformerDirectory);
            baseCfg.ExpectClass("SanaTransformer2DModel");
            baseConfig = baseCfg.Deserialize<SanaTransformer2DConfig>();
            SanaTransformer2DModel.Validate(baseConfig, baseCfg.Path);
            if (baseConfig.InnerDim != d || baseConfig.InChannels != c.InChannels || baseConfig.PatchSize != c.PatchSize)
                throw new CheckpointException(baseCfg.Path, null,
                    $"base transformer (inner_dim {baseConfig.InnerDim}, in_channels {baseConfig.InChannels}) does not match the ControlNet (inner_dim {d}, in_channels {c.InChannels}).");
            baseWeights = SafetensorsCheckpoint.Open(baseCfg.Directory);
        }

        try
        {
            var hiddenIn = g.Input("hidden_states", DT.Float, "batch", (long)c.InChannels, "height", "width");
            var textIn = g.Input("encoder_hidden_states", DT.Float, "batch", "text_len", (long)c.CaptionChannels);
            var maskIn = g.Input("encoder_attention_mask", DT.Int64, "batch", "text_len");
            var timestep = g.Input("timestep", DT.Float, "batch");
            var guidance = baseConfig is { GuidanceEmbeds: true } ? g.Input("guidance", DT.Float, "batch") : null;
            var condIn = g.Input("controlnet_cond", DT.Float, "batch", (long)c.InChannels, "height", "width");
            var scaleIn = g.Input("conditioning_scale", DT.Float, 1L);

            // 1. Input
            var hidden = g.CastIfNeeded("hidden_states/cast", hiddenIn, g.ComputeType);
            var cond = g.CastIfNeeded("controlnet_cond/cast", condIn, g.ComputeType);
            GraphValue x, spatial, t6, context;
            SanaTransformer2DModel.SharedBlockInputs shared;
            if (baseConfig is null)
            {
                (x, spatial) = Embeddings.PatchEmbed(g, "patch_embed", hidden, c.InChannels, d, c.PatchSize);
                var (condTokens, _) = Embeddings.PatchEmbed(g, "patch_embed", cond, c.InChannels, d, c.PatchSize, role: "controlnet_cond");
                x = g.Add("input_block/residual", x, Layers.Linear(g, "input_block", condTokens, d, d));

                // 2. Additional condition embeddings (AdaLayerNormSingle) and caption
                (t6, _) = SanaTransformer2DModel.TimeEmbedding(g, c, timestep, null);
                context = SanaTransformer2DModel.CaptionEmbedding(g, c, textIn);
                shared = SanaTransformer2DModel.SharedBlockInputs.Build(g, c, context, maskIn, t6, spatial);
            }
            else
            {
                // NVlabs: the main model's embeddings and block 0 (weights under 'transformer.'), then the condition.
                using (g.Scope("transformer.", baseWeights))
                {
                    GraphValue h;
                    (h, spatial) = Embeddings.PatchEmbed(g, "patch_embed", hidden, baseConfig.InChannels, d, baseConfig.PatchSize);
                    (t6, _) = SanaTransformer2DModel.TimeEmbedding(g, baseConfig, timestep, guidance);
                    context = SanaTransformer2DModel.CaptionEmbedding(g, baseConfig, textIn);
                    shared = SanaTransformer2DModel.SharedBlockInputs.Build(g, baseConfig, context, maskIn, t6, spatial);
                    x = SanaTransformer2DModel.Block(g, baseConfig, "transformer_blocks.0", h, shared);
                }
                var (condTokens, _) = Embeddings.PatchEmbed(g, "patch_embed", cond, c.InChannels, d, c.PatchSize, role: "controlnet_cond");
                x = g.Add("input_block/residual", x, Layers.Linear(g, "input_block", condTokens, d, d));
            }

            // 3. Transformer blocks and 4. ControlNet blocks
            var scale = g.CastIfNeeded("conditioning_scale/cast", scaleIn, g.ComputeType);
            for (int i = 0; i < c.NumLayers; i++)
            {
                x = SanaTransformer2DModel.Block(g, c, $"transformer_blocks.{i}", x, shared);
                var r = Layers.Linear(g, $"controlnet_blocks.{i}", x, d, d);
                r = g.Mul($"controlnet_blocks.{i}/conditioning_scale", r, scale);
                g.Output(g.CastIfNeeded($"block_{i}/cast", r, DT.Float), $"block_{i}", "batch", "tokens", (long)d);
                progress?.Report(new GraphBuildProgress("building graph", i + 1, c.NumLayers));
            }

            if (baseConfig is null)
                weights.EnsureAllUsed();
            else
            {
                // The NVlabs wiring uses the main model's conditioning; the ControlNet's copies are expected but unused.
                var unexpected = weights.UnusedNames.Where(n => !n.StartsWith("time_embed.", StringComparison.Ordinal)
                    && !n.StartsWith("caption_projection.", StringComparison.Ordinal) && !n.StartsWith("caption_norm.", StringComparison.Ordinal)).ToList();
                if (unexpected.Count > 0)
                    throw new CheckpointException(weights.FileOf(unexpected[0]).Path, unexpected[0], "is unexpected: the model has no parameter of this name.");
            }
            return g;
        }
        catch
        {
            baseWeights?.Dispose();
            throw;
        }
        // On success the base checkpoint stays mapped: the graph's weight references point into it until it is saved.
    }
}
