using System.Text;
using System.Text.Json;
using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Demo;

/// <summary>Where the generated demo checkpoint lives.</summary>
/// <param name="PipelineDirectory">The SANA-Sprint pipeline folder (<c>model_index.json</c>, <c>transformer/</c>, <c>vae/</c>, <c>text_encoder/</c>, <c>tokenizer/</c>, <c>scheduler/</c>).</param>
/// <param name="ControlNetDirectory">The Sana ControlNet folder (<c>config.json</c> + weights).</param>
public sealed record DemoCheckpointPaths(string PipelineDirectory, string ControlNetDirectory);

/// <summary>
/// The embedded demo checkpoint: a tiny SANA-Sprint-architecture pipeline (Sprint transformer, ControlNet, DC-AE with
/// f = 32, Gemma-2 text encoder, SentencePiece tokenizer) with random weights, written in diffusers layout by this
/// code — deterministically, on first start, into the cache folder — and then loaded by exactly the same code as a
/// real checkpoint. It lets the app, CLI and benchmarks run from a fresh clone without a download.
/// </summary>
public static class DemoCheckpoint
{
    /// <summary>Version of the generated layout; bump when configs or initialisation change.</summary>
    public const string Version = "v1";

    /// <summary>The model name shown for the demo.</summary>
    public const string ModelName = "SANA-Sprint demo (tiny, random weights)";

    /// <summary>The UI banner text shown while the demo checkpoint is in use.</summary>
    public const string Notice =
        "Demo model: a tiny SANA-Sprint-architecture network with random weights, so frames are abstract patterns, not pictures. " +
        "To use SANA-Sprint, download Efficient-Large-Model/Sana_Sprint_0.6B_1024px_diffusers and set Inference:CheckpointPath (or --checkpoint) to that folder.";

    private const string CompleteMarker = "demo-complete.json";

    // Sizes: latent 32 channels and f = 32 as the real model, everything else tiny.
    private const int LatentChannels = 32;
    private const int Hidden = 64;          // transformer inner dim = heads × head_dim
    private const int Heads = 4, HeadDim = 16;
    private const int CrossHeads = 2, CrossHeadDim = 32;
    private const int Layers = 2, ControlLayers = 2;
    private const int TextHidden = 64, TextLayers = 2, TextHeads = 4, TextKvHeads = 2, TextHeadDim = 16, TextIntermediate = 128;
    private static readonly int[] VaeChannels = [4, 8, 16, 16, 32, 32];
    private static readonly string[] VaeBlockTypes = ["ResBlock", "ResBlock", "ResBlock", "EfficientViTBlock", "EfficientViTBlock", "EfficientViTBlock"];
    private static readonly int[] VaeLayers = [1, 1, 1, 1, 1, 1];
    private const int VaeHeadDim = 8;

    /// <summary>Returns the demo checkpoint under <paramref name="cacheDirectory"/>, generating it first if needed.</summary>
    /// <param name="cacheDirectory">The cache folder (<see cref="InferenceOptions.ResolveCacheDirectory"/>).</param>
    /// <returns>The folders.</returns>
    /// <exception cref="IOException">The folder cannot be written.</exception>
    public static DemoCheckpointPaths EnsureCreated(string cacheDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDirectory);
        string root = Path.Combine(cacheDirectory, "demo", Version);
        var paths = new DemoCheckpointPaths(Path.Combine(root, "sana_sprint_demo"), Path.Combine(root, "sana_controlnet_demo"));
        if (File.Exists(Path.Combine(root, CompleteMarker))) return paths;

        // Generate into a private folder and move it into place, so concurrent starts never see half a checkpoint.
        Directory.CreateDirectory(Path.Combine(cacheDirectory, "demo"));
        string staging = Path.Combine(cacheDirectory, "demo", $".staging-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Generate(Path.Combine(staging, "sana_sprint_demo"), Path.Combine(staging, "sana_controlnet_demo"));
            File.WriteAllText(Path.Combine(staging, CompleteMarker), JsonSerializer.Serialize(new { version = Version, generator = typeof(DemoCheckpoint).FullName }));
            try
            {
                if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
                Directory.Move(staging, root);
            }
            catch (IOException) when (File.Exists(Path.Combine(root, CompleteMarker)))
            {
                // Another process finished first.
            }
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }

        return paths;
    }

    /// <summary>Writes the demo pipeline and ControlNet folders (deterministic: same bytes on every machine).</summary>
    /// <param name="pipelineDirectory">Target pipeline folder.</param>
    /// <param name="controlNetDirectory">Target ControlNet folder.</param>
    public static void Generate(string pipelineDirectory, string controlNetDirectory)
    {
        Directory.CreateDirectory(pipelineDirectory);
        WriteJson(Path.Combine(pipelineDirectory, "model_index.json"), new Dictionary<string, object>
        {
            ["_class_name"] = "SanaSprintPipeline",
            ["_diffusers_version"] = "0.33.0",
            ["scheduler"] = new[] { "diffusers", "SCMScheduler" },
            ["text_encoder"] = new[] { "transformers", "Gemma2Model" },
            ["tokenizer"] = new[] { "transformers", "GemmaTokenizerFast" },
            ["transformer"] = new[] { "diffusers", "SanaTransformer2DModel" },
            ["vae"] = new[] { "diffusers", "AutoencoderDC" },
        });

        // Scheduler.
        string scheduler = Directory.CreateDirectory(Path.Combine(pipelineDirectory, "scheduler")).FullName;
        WriteJson(Path.Combine(scheduler, "scheduler_config.json"), new Dictionary<string, object>
        {
            ["_class_name"] = "SCMScheduler", ["_diffusers_version"] = "0.33.0", ["num_train_timesteps"] = 1000,
            ["prediction_type"] = "trigflow", ["sigma_data"] = 0.5, ["max_timesteps"] = ScmScheduler.DefaultMaxTimesteps,
            ["intermediate_timesteps"] = ScmScheduler.DefaultIntermediateTimesteps,
        });

        // Transformer (Sprint: guidance embedding, QK-norm across heads, no positional embedding).
        string transformer = Directory.CreateDirectory(Path.Combine(pipelineDirectory, "transformer")).FullName;
        WriteJson(Path.Combine(transformer, "config.json"), TransformerConfig("SanaTransformer2DModel", Layers, sprint: true));
        DemoSafetensorsWriter.Write(Path.Combine(transformer, "diffusion_pytorch_model.safetensors"), Init(TransformerWeights(sprint: true, Layers)));

        // DC-AE.
        string vae = Directory.CreateDirectory(Path.Combine(pipelineDirectory, "vae")).FullName;
        WriteJson(Path.Combine(vae, "config.json"), VaeConfig());
        DemoSafetensorsWriter.Write(Path.Combine(vae, "diffusion_pytorch_model.safetensors"), Init(VaeWeights()));

        // Gemma-2 text encoder and tokenizer.
        string text = Directory.CreateDirectory(Path.Combine(pipelineDirectory, "text_encoder")).FullName;
        WriteJson(Path.Combine(text, "config.json"), TextConfig());
        DemoSafetensorsWriter.Write(Path.Combine(text, "model.safetensors"), Init(TextWeights()));
        string tokenizer = Directory.CreateDirectory(Path.Combine(pipelineDirectory, "tokenizer")).FullName;
        File.WriteAllBytes(Path.Combine(tokenizer, "tokenizer.model"), DemoTokenizerModel.Build());
        WriteJson(Path.Combine(tokenizer, "tokenizer_config.json"), new Dictionary<string, object>
        {
            ["add_bos_token"] = true, ["add_eos_token"] = false, ["bos_token"] = "<bos>", ["eos_token"] = "<eos>", ["pad_token"] = "<pad>",
            ["unk_token"] = "<unk>", ["padding_side"] = "right", ["model_max_length"] = 1000000, ["tokenizer_class"] = "GemmaTokenizer",
            ["additional_special_tokens"] = new[] { "<start_of_turn>", "<end_of_turn>" },
        });
        WriteJson(Path.Combine(tokenizer, "special_tokens_map.json"), new Dictionary<string, object>
        {
            ["bos_token"] = "<bos>", ["eos_token"] = "<eos>", ["pad_token"] = "<pad>", ["unk_token"] = "<unk>",
            ["additional_special_tokens"] = new[] { "<start_of_turn>", "<end_of_turn>" },
        });

        // ControlNet (diffusers SanaControlNetModel).
        Directory.CreateDirectory(controlNetDirectory);
        WriteJson(Path.Combine(controlNetDirectory, "config.json"), TransformerConfig("SanaControlNetModel", ControlLayers, sprint: false));
        DemoSafetensorsWriter.Write(Path.Combine(controlNetDirectory, "diffusion_pytorch_model.safetensors"), Init(ControlNetWeights()));
    }

    private static Dictionary<string, object?> TransformerConfig(string className, int layers, bool sprint)
    {
        var c = new Dictionary<string, object?>
        {
            ["_class_name"] = className, ["_diffusers_version"] = "0.33.0", ["attention_bias"] = false,
            ["attention_head_dim"] = HeadDim, ["caption_channels"] = TextHidden, ["cross_attention_dim"] = Hidden,
            ["cross_attention_head_dim"] = CrossHeadDim, ["dropout"] = 0.0, ["in_channels"] = LatentChannels,
            ["interpolation_scale"] = null, ["mlp_ratio"] = 2.5, ["norm_elementwise_affine"] = false, ["norm_eps"] = 1e-6,
            ["num_attention_heads"] = Heads, ["num_cross_attention_heads"] = CrossHeads, ["num_layers"] = layers,
            ["out_channels"] = LatentChannels, ["patch_size"] = 1, ["sample_size"] = 32,
        };
        if (sprint)
        {
            c["guidance_embeds"] = true;
            c["guidance_embeds_scale"] = 0.1;
            c["qk_norm"] = "rms_norm_across_heads";
            c["timestep_scale"] = 1.0;
        }

        return c;
    }

    private static Dictionary<string, object> VaeConfig() => new()
    {
        ["_class_name"] = "AutoencoderDC", ["_diffusers_version"] = "0.33.0", ["attention_head_dim"] = VaeHeadDim,
        ["decoder_act_fns"] = "silu", ["decoder_block_out_channels"] = VaeChannels, ["decoder_block_types"] = VaeBlockTypes,
        ["decoder_layers_per_block"] = VaeLayers, ["decoder_norm_types"] = "rms_norm",
        ["decoder_qkv_multiscales"] = VaeBlockTypes.Select(t => t == "EfficientViTBlock" ? new[] { 5 } : Array.Empty<int>()).ToArray(),
        ["decoder_conv_act_fn"] = "relu", ["decoder_in_shortcut"] = true, ["downsample_block_type"] = "conv",
        ["encoder_block_out_channels"] = VaeChannels, ["encoder_block_types"] = VaeBlockTypes, ["encoder_layers_per_block"] = VaeLayers,
        ["encoder_out_shortcut"] = true,
        ["encoder_qkv_multiscales"] = VaeBlockTypes.Select(t => t == "EfficientViTBlock" ? new[] { 5 } : Array.Empty<int>()).ToArray(),
        ["in_channels"] = 3, ["latent_channels"] = LatentChannels, ["scaling_factor"] = 0.41407, ["upsample_block_type"] = "interpolate",
    };

    private static Dictionary<string, object> TextConfig() => new()
    {
        ["architectures"] = new[] { "Gemma2Model" }, ["attention_bias"] = false, ["attention_dropout"] = 0.0,
        ["attn_logit_softcapping"] = 50.0, ["bos_token_id"] = 2, ["eos_token_id"] = 1, ["final_logit_softcapping"] = 30.0,
        ["head_dim"] = TextHeadDim, ["hidden_activation"] = "gelu_pytorch_tanh", ["hidden_size"] = TextHidden,
        ["initializer_range"] = 0.02, ["intermediate_size"] = TextIntermediate, ["max_position_embeddings"] = 8192,
        ["model_type"] = "gemma2", ["num_attention_heads"] = TextHeads, ["num_hidden_layers"] = TextLayers,
        ["num_key_value_heads"] = TextKvHeads, ["pad_token_id"] = 0, ["query_pre_attn_scalar"] = TextHeadDim,
        ["rms_norm_eps"] = 1e-6, ["rope_theta"] = 10000.0, ["sliding_window"] = 4096, ["tie_word_embeddings"] = true,
        ["torch_dtype"] = "float32", ["vocab_size"] = DemoTokenizerModel.VocabularySize,
    };

    /// <summary>A weight to initialise: name, shape and kind.</summary>
    private enum Kind { Matrix, Bias, Norm, Table }

    private static IEnumerable<(string, long[], Kind)> TransformerWeights(bool sprint, int layers)
    {
        int ff = (int)(2.5 * Hidden);
        yield return ("patch_embed.proj.weight", [Hidden, LatentChannels, 1, 1], Kind.Matrix);
        yield return ("patch_embed.proj.bias", [Hidden], Kind.Bias);
        string[] embedders = sprint ? ["time_embed.timestep_embedder", "time_embed.guidance_embedder"] : ["time_embed.emb.timestep_embedder"];
        foreach (var e in embedders)
        {
            yield return ($"{e}.linear_1.weight", [Hidden, 256], Kind.Matrix);
            yield return ($"{e}.linear_1.bias", [Hidden], Kind.Bias);
            yield return ($"{e}.linear_2.weight", [Hidden, Hidden], Kind.Matrix);
            yield return ($"{e}.linear_2.bias", [Hidden], Kind.Bias);
        }

        yield return ("time_embed.linear.weight", [6 * Hidden, Hidden], Kind.Matrix);
        yield return ("time_embed.linear.bias", [6 * Hidden], Kind.Bias);
        yield return ("caption_projection.linear_1.weight", [Hidden, TextHidden], Kind.Matrix);
        yield return ("caption_projection.linear_1.bias", [Hidden], Kind.Bias);
        yield return ("caption_projection.linear_2.weight", [Hidden, Hidden], Kind.Matrix);
        yield return ("caption_projection.linear_2.bias", [Hidden], Kind.Bias);
        yield return ("caption_norm.weight", [Hidden], Kind.Norm);
        for (int i = 0; i < layers; i++)
        {
            string b = $"transformer_blocks.{i}";
            yield return ($"{b}.scale_shift_table", [6, Hidden], Kind.Table);
            foreach (var p in new[] { "to_q", "to_k", "to_v" }) yield return ($"{b}.attn1.{p}.weight", [Hidden, Hidden], Kind.Matrix);
            if (sprint)
            {
                yield return ($"{b}.attn1.norm_q.weight", [Hidden], Kind.Norm);
                yield return ($"{b}.attn1.norm_k.weight", [Hidden], Kind.Norm);
            }

            yield return ($"{b}.attn1.to_out.0.weight", [Hidden, Hidden], Kind.Matrix);
            yield return ($"{b}.attn1.to_out.0.bias", [Hidden], Kind.Bias);
            foreach (var p in new[] { "to_q", "to_k", "to_v" })
            {
                yield return ($"{b}.attn2.{p}.weight", [Hidden, Hidden], Kind.Matrix);
                yield return ($"{b}.attn2.{p}.bias", [Hidden], Kind.Bias);
            }

            if (sprint)
            {
                yield return ($"{b}.attn2.norm_q.weight", [Hidden], Kind.Norm);
                yield return ($"{b}.attn2.norm_k.weight", [Hidden], Kind.Norm);
            }

            yield return ($"{b}.attn2.to_out.0.weight", [Hidden, Hidden], Kind.Matrix);
            yield return ($"{b}.attn2.to_out.0.bias", [Hidden], Kind.Bias);
            yield return ($"{b}.ff.conv_inverted.weight", [2 * ff, Hidden, 1, 1], Kind.Matrix);
            yield return ($"{b}.ff.conv_inverted.bias", [2 * ff], Kind.Bias);
            yield return ($"{b}.ff.conv_depth.weight", [2 * ff, 1, 3, 3], Kind.Matrix);
            yield return ($"{b}.ff.conv_depth.bias", [2 * ff], Kind.Bias);
            yield return ($"{b}.ff.conv_point.weight", [Hidden, ff, 1, 1], Kind.Matrix);
        }

        if (sprint)
        {
            yield return ("scale_shift_table", [2, Hidden], Kind.Table);
            yield return ("proj_out.weight", [LatentChannels, Hidden], Kind.Matrix);
            yield return ("proj_out.bias", [LatentChannels], Kind.Bias);
        }
    }

    private static IEnumerable<(string, long[], Kind)> ControlNetWeights()
    {
        foreach (var w in TransformerWeights(sprint: false, ControlLayers)) yield return w;
        yield return ("input_block.weight", [Hidden, Hidden], Kind.Matrix);
        yield return ("input_block.bias", [Hidden], Kind.Bias);
        for (int i = 0; i < ControlLayers; i++)
        {
            yield return ($"controlnet_blocks.{i}.weight", [Hidden, Hidden], Kind.Matrix);
            yield return ($"controlnet_blocks.{i}.bias", [Hidden], Kind.Bias);
        }
    }

    private static IEnumerable<(string, long[], Kind)> VaeWeights()
    {
        int n = VaeChannels.Length;
        // Encoder: conv_in, stages (blocks, then a stride-2 conv down to the next width), conv_out.
        yield return ("encoder.conv_in.weight", [VaeChannels[0], 3, 3, 3], Kind.Matrix);
        yield return ("encoder.conv_in.bias", [VaeChannels[0]], Kind.Bias);
        for (int i = 0; i < n; i++)
        {
            int k = 0;
            for (; k < VaeLayers[i]; k++)
                foreach (var w in VaeBlock($"encoder.down_blocks.{i}.{k}", VaeChannels[i], VaeBlockTypes[i])) yield return w;
            if (i < n - 1)
            {
                yield return ($"encoder.down_blocks.{i}.{k}.conv.weight", [VaeChannels[i + 1], VaeChannels[i], 3, 3], Kind.Matrix);
                yield return ($"encoder.down_blocks.{i}.{k}.conv.bias", [VaeChannels[i + 1]], Kind.Bias);
            }
        }

        yield return ("encoder.conv_out.weight", [LatentChannels, VaeChannels[n - 1], 3, 3], Kind.Matrix);
        yield return ("encoder.conv_out.bias", [LatentChannels], Kind.Bias);

        // Decoder: conv_in, stages (an interpolate-conv up from the next width, then blocks), norm_out, conv_out.
        yield return ("decoder.conv_in.weight", [VaeChannels[n - 1], LatentChannels, 3, 3], Kind.Matrix);
        yield return ("decoder.conv_in.bias", [VaeChannels[n - 1]], Kind.Bias);
        for (int i = 0; i < n; i++)
        {
            int k = 0;
            if (i < n - 1)
            {
                yield return ($"decoder.up_blocks.{i}.0.conv.weight", [VaeChannels[i], VaeChannels[i + 1], 3, 3], Kind.Matrix);
                yield return ($"decoder.up_blocks.{i}.0.conv.bias", [VaeChannels[i]], Kind.Bias);
                k = 1;
            }

            for (int j = 0; j < VaeLayers[i]; j++, k++)
                foreach (var w in VaeBlock($"decoder.up_blocks.{i}.{k}", VaeChannels[i], VaeBlockTypes[i])) yield return w;
        }

        yield return ("decoder.norm_out.weight", [VaeChannels[0]], Kind.Norm);
        yield return ("decoder.norm_out.bias", [VaeChannels[0]], Kind.Bias);
        yield return ("decoder.conv_out.weight", [3, VaeChannels[0], 3, 3], Kind.Matrix);
        yield return ("decoder.conv_out.bias", [3], Kind.Bias);
    }

    private static IEnumerable<(string, long[], Kind)> VaeBlock(string p, int c, string type)
    {
        if (type == "ResBlock")
        {
            yield return ($"{p}.conv1.weight", [c, c, 3, 3], Kind.Matrix);
            yield return ($"{p}.conv1.bias", [c], Kind.Bias);
            yield return ($"{p}.conv2.weight", [c, c, 3, 3], Kind.Matrix);
            yield return ($"{p}.norm.weight", [c], Kind.Norm);
            yield return ($"{p}.norm.bias", [c], Kind.Bias);
            yield break;
        }

        int heads = c / VaeHeadDim;
        yield return ($"{p}.attn.to_q.weight", [c, c], Kind.Matrix);
        yield return ($"{p}.attn.to_k.weight", [c, c], Kind.Matrix);
        yield return ($"{p}.attn.to_v.weight", [c, c], Kind.Matrix);
        yield return ($"{p}.attn.to_qkv_multiscale.0.proj_in.weight", [3 * c, 1, 5, 5], Kind.Matrix);
        yield return ($"{p}.attn.to_qkv_multiscale.0.proj_out.weight", [3 * c, 3 * c / (3 * heads), 1, 1], Kind.Matrix);
        yield return ($"{p}.attn.to_out.weight", [c, 2 * c], Kind.Matrix);
        yield return ($"{p}.attn.norm_out.weight", [c], Kind.Norm);
        yield return ($"{p}.attn.norm_out.bias", [c], Kind.Bias);
        yield return ($"{p}.conv_out.conv_inverted.weight", [8 * c, c, 1, 1], Kind.Matrix);
        yield return ($"{p}.conv_out.conv_inverted.bias", [8 * c], Kind.Bias);
        yield return ($"{p}.conv_out.conv_depth.weight", [8 * c, 1, 3, 3], Kind.Matrix);
        yield return ($"{p}.conv_out.conv_depth.bias", [8 * c], Kind.Bias);
        yield return ($"{p}.conv_out.conv_point.weight", [c, 4 * c, 1, 1], Kind.Matrix);
        yield return ($"{p}.conv_out.norm.weight", [c], Kind.Norm);
        yield return ($"{p}.conv_out.norm.bias", [c], Kind.Bias);
    }

    private static IEnumerable<(string, long[], Kind)> TextWeights()
    {
        yield return ("embed_tokens.weight", [DemoTokenizerModel.VocabularySize, TextHidden], Kind.Matrix);
        for (int i = 0; i < TextLayers; i++)
        {
            string l = $"layers.{i}";
            yield return ($"{l}.self_attn.q_proj.weight", [TextHeads * TextHeadDim, TextHidden], Kind.Matrix);
            yield return ($"{l}.self_attn.k_proj.weight", [TextKvHeads * TextHeadDim, TextHidden], Kind.Matrix);
            yield return ($"{l}.self_attn.v_proj.weight", [TextKvHeads * TextHeadDim, TextHidden], Kind.Matrix);
            yield return ($"{l}.self_attn.o_proj.weight", [TextHidden, TextHeads * TextHeadDim], Kind.Matrix);
            yield return ($"{l}.mlp.gate_proj.weight", [TextIntermediate, TextHidden], Kind.Matrix);
            yield return ($"{l}.mlp.up_proj.weight", [TextIntermediate, TextHidden], Kind.Matrix);
            yield return ($"{l}.mlp.down_proj.weight", [TextHidden, TextIntermediate], Kind.Matrix);
            // Gemma's RMSNorm multiplies by (1 + w): small weights around 0.
            foreach (var n in new[] { "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm" })
                yield return ($"{l}.{n}.weight", [TextHidden], Kind.Bias);
        }

        yield return ("norm.weight", [TextHidden], Kind.Bias);
    }

    /// <summary>
    /// Initialises each tensor from its own seeded stream (so a tensor does not depend on the others): matrices
    /// s·N(0,1) with s = clamp(1/sqrt(fan_in), 0.02, 0.2), biases 0.05·N, norm weights 1 + 0.1·N, scale-shift tables 0.1·N
    /// (the golden reference's initialisation).
    /// </summary>
    private static List<(string, long[], float[])> Init(IEnumerable<(string Name, long[] Shape, Kind Kind)> weights)
    {
        var result = new List<(string, long[], float[])>();
        foreach (var (name, shape, kind) in weights)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[count];
            SeededNoiseSource.Instance.Fill(new NoiseDraw(StableHash(name), 0, 0), data);
            float fanIn = count / shape[0];
            float scale = kind switch
            {
                Kind.Matrix => Math.Clamp(1f / MathF.Sqrt(fanIn), 0.02f, 0.2f),
                Kind.Bias => 0.05f,
                Kind.Norm => 0.1f,
                _ => 0.1f,
            };
            float offset = kind == Kind.Norm ? 1f : 0f;
            for (long i = 0; i < count; i++) data[i] = offset + scale * data[i];
            result.Add((name, shape, data));
        }

        return result;
    }

    private static long StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(s)) h = (h ^ b) * 1099511628211UL;
        return (long)h;
    }

    private static void WriteJson(string path, object value) =>
        File.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));
}
