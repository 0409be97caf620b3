using System.Text.Json;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// A SANA-Sprint 0.6B pipeline folder at full size with deterministic random weights (bf16, as published): the Sprint
/// transformer (28 blocks, 36×32 heads, caption 2304), the DC-AE f32c32 (sana-1.1 block set), the scheduler and a 7-block
/// Sana ControlNet. No text encoder: prompt embeddings are given directly (the per-frame path; prompts are cached).
/// For benchmarks of the real architecture where the real weights are not available (e.g. <c>bench/gpu/run.sh</c>).
/// </summary>
public static class FullSizeRandomCheckpoint
{
    /// <summary>SANA-Sprint 0.6B transformer config (<c>Efficient-Large-Model/Sana_Sprint_0.6B_1024px_diffusers</c> <c>transformer/config.json</c>).</summary>
    public static SanaTransformer2DConfig Transformer => new()
    {
        InChannels = 32, OutChannels = 32, NumAttentionHeads = 36, AttentionHeadDim = 32, NumLayers = 28,
        NumCrossAttentionHeads = 16, CrossAttentionHeadDim = 72, CrossAttentionDim = 1152, CaptionChannels = 2304,
        MlpRatio = 2.5, SampleSize = 32, PatchSize = 1, NormEps = 1e-6, GuidanceEmbeds = true, GuidanceEmbedsScale = 0.1,
        QkNorm = SanaTransformer2DModel.RmsNormAcrossHeads,
    };

    /// <summary>Sana 600M ControlNet config (7 copied blocks, as NVlabs Sana <c>configs/sana_controlnet_config</c>).</summary>
    public static SanaControlNetConfig ControlNet => new()
    {
        InChannels = 32, OutChannels = 32, NumAttentionHeads = 36, AttentionHeadDim = 32, NumLayers = 7,
        NumCrossAttentionHeads = 16, CrossAttentionHeadDim = 72, CrossAttentionDim = 1152, CaptionChannels = 2304, MlpRatio = 2.5,
    };

    /// <summary>DC-AE f32c32 (sana) config: 6 stages 128…1024, ResBlock ×3 then EfficientViT ×3, conv down / interpolate up.</summary>
    public static AutoencoderDCConfig Vae => new()
    {
        InChannels = 3, LatentChannels = 32, AttentionHeadDim = 32,
        EncoderBlockTypes = ["ResBlock", "ResBlock", "ResBlock", "EfficientViTBlock", "EfficientViTBlock", "EfficientViTBlock"],
        DecoderBlockTypes = ["ResBlock", "ResBlock", "ResBlock", "EfficientViTBlock", "EfficientViTBlock", "EfficientViTBlock"],
        UpsampleBlockType = "interpolate", DownsampleBlockType = "Conv", ScalingFactor = 0.41407,
    };

    /// <summary>Writes the folders under <paramref name="root"/> once (a marker file records completion).</summary>
    /// <param name="root">Target folder.</param>
    /// <param name="progress">Receives one line per component.</param>
    /// <returns>The pipeline folder and the ControlNet folder.</returns>
    public static CheckpointPaths EnsureCreated(string root, IProgress<string>? progress = null)
    {
        string pipeline = Path.Combine(root, "sana_sprint_0.6b_random");
        string controlnet = Path.Combine(root, "sana_controlnet_0.6b_random");
        string marker = Path.Combine(root, "complete.json");
        if (File.Exists(marker)) return new CheckpointPaths(pipeline, controlnet);
        Directory.CreateDirectory(pipeline);
        File.WriteAllText(Path.Combine(pipeline, "model_index.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["_class_name"] = "SanaSprintPipeline", ["_diffusers_version"] = "0.33.0",
            ["scheduler"] = new[] { "diffusers", "SCMScheduler" }, ["transformer"] = new[] { "diffusers", "SanaTransformer2DModel" },
            ["vae"] = new[] { "diffusers", "AutoencoderDC" },
        }));
        Directory.CreateDirectory(Path.Combine(pipeline, "scheduler"));
        File.WriteAllText(Path.Combine(pipeline, "scheduler", "scheduler_config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["_class_name"] = "SCMScheduler", ["prediction_type"] = "trigflow", ["sigma_data"] = 0.5,
            ["max_timesteps"] = ScmScheduler.DefaultMaxTimesteps, ["intermediate_timesteps"] = ScmScheduler.DefaultIntermediateTimesteps,
        }));
        progress?.Report("writing transformer (0.6B, bf16)");
        RandomCheckpoint.Write(Path.Combine(pipeline, "transformer"), ComponentConfig.ToJson("SanaTransformer2DModel", Transformer),
            ParameterShapes.ForTransformer(Transformer), SafetensorsDType.BF16, seed: 1);
        progress?.Report("writing vae (DC-AE f32c32)");
        RandomCheckpoint.Write(Path.Combine(pipeline, "vae"), ComponentConfig.ToJson("AutoencoderDC", Vae),
            ParameterShapes.ForAutoencoderDC(Vae).Select(p => (p.Key, p.Shape)).ToList(), SafetensorsDType.F32, seed: 2);
        progress?.Report("writing controlnet (7 blocks, bf16)");
        RandomCheckpoint.Write(controlnet, ComponentConfig.ToJson("SanaControlNetModel", ControlNet),
            ParameterShapes.ForControlNet(ControlNet), SafetensorsDType.BF16, seed: 3);
        File.WriteAllText(marker, "{\"complete\":true}");
        return new CheckpointPaths(pipeline, controlnet);
    }
}
