using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx;

namespace SanaSprint.Inference.Models;

/// <summary>How the ControlNet's residuals enter the transformer (see <see cref="SanaControlNetModel"/>).</summary>
public enum ControlNetWiring
{
    /// <summary>diffusers <c>SanaControlNetModel</c>: the ControlNet starts from the patch-embedded latent plus the
    /// embedded condition; residual i is added after transformer block i + 1.</summary>
    Diffusers,

    /// <summary>NVlabs <c>SanaMSControlNet</c>: the ControlNet starts from the output of main block 0 plus the embedded
    /// condition; residual i is added before main block i + 1.</summary>
    NvLabs,
}

/// <summary>Options that change the graph built for a component (all part of the graph cache key).</summary>
public sealed record ModelBuildOptions
{
    /// <summary>Compute precision. Defaults to <see cref="GraphPrecision.Fp32"/>.</summary>
    public GraphPrecision Precision { get; init; } = GraphPrecision.Fp32;

    /// <summary>Which part of a two-part model (<c>encoder</c> or <c>decoder</c> of <c>AutoencoderDC</c> or <c>TinyAutoencoder</c>); <c>null</c> for others.</summary>
    public string? Part { get; init; }

    /// <summary>Transformer only: how many ControlNet residual inputs (<c>controlnet_block_samples_{i}</c>) the graph takes.
    /// Defaults to 0 (no ControlNet inputs).</summary>
    public int ControlBlocks { get; init; }

    /// <summary>ControlNet wiring. Defaults to <see cref="ControlNetWiring.Diffusers"/>.</summary>
    public ControlNetWiring ControlNetWiring { get; init; } = ControlNetWiring.Diffusers;

    /// <summary>ControlNet with <see cref="ControlNetWiring.NvLabs"/> only: the base transformer's component folder, whose
    /// patch embedding, conditioning and block 0 the ControlNet graph runs first (the NVlabs ControlNet starts from the
    /// output of main block 0). Its files join the cache key.</summary>
    public string? BaseTransformerDirectory { get; init; }

    /// <summary>AutoencoderDC decoder only: also output the frame as uint8 RGB channels-last (<see cref="AutoencoderDCBuildOptions.ImageOutput"/>).</summary>
    public bool ImageOutput { get; init; }

    /// <summary>A canonical text of every option, used in cache keys.</summary>
    public string CacheText =>
        $"precision={Precision};part={Part ?? "-"};control_blocks={ControlBlocks};wiring={ControlNetWiring};base={(BaseTransformerDirectory is null ? "-" : "yes")}"
        + (ImageOutput ? ";image_output=uint8" : "");
}

/// <summary>
/// Maps a component's <c>_class_name</c> to the builder of its ONNX graph and to what the pipeline needs to know about
/// it, like onnxruntime-genai's <c>builder.py</c> dispatch. To add a model family, add one arm to <see cref="Build"/> and
/// to <see cref="Describe(ComponentConfig)"/>, and its name to <see cref="SupportedClassNames"/>.
/// </summary>
public static class ModelCatalog
{
    /// <summary>Every <c>_class_name</c> that <see cref="Build"/> accepts.</summary>
    public static IReadOnlyList<string> SupportedClassNames { get; } =
    [
        "SanaTransformer2DModel",
        "SanaControlNetModel",
        "AutoencoderDC",
        Gemma2Model.ClassName,
    ];

    /// <summary>What the pipeline needs to know about a component (its role, channels, scale factors), from its config alone.</summary>
    /// <param name="config">The component's config.</param>
    /// <returns>The description.</returns>
    /// <exception cref="CheckpointException">Unknown class, or a config this family does not support.</exception>
    public static ModelDescription Describe(ComponentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        switch (config.ClassName)
        {
            case "SanaTransformer2DModel":
            {
                var c = config.Deserialize<SanaTransformer2DConfig>();
                return new ModelDescription
                {
                    ClassName = config.ClassName, Role = ModelRole.Denoiser, LatentChannels = c.InChannels,
                    CaptionChannels = c.CaptionChannels, GuidanceEmbedsScale = (float)c.GuidanceEmbedsScale,
                };
            }

            case "SanaControlNetModel":
                return new ModelDescription { ClassName = config.ClassName, Role = ModelRole.ControlNet, ControlBlocks = config.Deserialize<SanaControlNetConfig>().NumLayers };
            case AutoencoderDC.ClassName:
            {
                var c = config.Deserialize<AutoencoderDCConfig>();
                return new ModelDescription
                {
                    ClassName = config.ClassName, Role = ModelRole.Autoencoder, LatentChannels = c.LatentChannels,
                    VaeScaleFactor = AutoencoderDC.SpatialCompression(c), ScalingFactor = (float)c.ScalingFactor,
                };
            }

            case Gemma2Model.ClassName or "Gemma2ForCausalLM":
                return new ModelDescription { ClassName = config.ClassName, Role = ModelRole.TextEncoder };
            default:
                throw new CheckpointException(config.Path, null,
                    $"has unknown _class_name '{config.ClassName}'; supported: {string.Join(", ", SupportedClassNames)}.");
        }
    }

    /// <summary>Describes a component that must play <paramref name="role"/> in the pipeline.</summary>
    /// <param name="config">The component's config.</param>
    /// <param name="role">The role the pipeline needs from it.</param>
    /// <returns>The description.</returns>
    /// <exception cref="CheckpointException">Unknown class, or one with another role (the message names the file and the role).</exception>
    public static ModelDescription Describe(ComponentConfig config, ModelRole role)
    {
        var description = Describe(config);
        if (description.Role != role)
            throw new CheckpointException(config.Path, null, $"has _class_name '{config.ClassName}', a {description.Role}; expected a {role}.");
        return description;
    }

    /// <summary>Builds the graph of a component from its config and weights.</summary>
    /// <exception cref="CheckpointException">Unknown class, or weights that do not fit the config.</exception>
    /// <exception cref="ArgumentException">Options that do not fit the class (e.g. a missing <c>Part</c>).</exception>
    public static GraphBuilder Build(ComponentConfig config, SafetensorsCheckpoint weights, ModelBuildOptions options,
        IProgress<GraphBuildProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(options);
        CheckOptions(config.ClassName, options);
        return config.ClassName switch
        {
            "SanaTransformer2DModel" => SanaTransformer2DModel.Build(config.Deserialize<SanaTransformer2DConfig>(), weights, options, progress),
            "SanaControlNetModel" => SanaControlNetModel.Build(config.Deserialize<SanaControlNetConfig>(), weights, options, progress),
            "AutoencoderDC" => AutoencoderDC.Build(AutoencoderPart(options), config.Deserialize<AutoencoderDCConfig>(), weights,
                new AutoencoderDCBuildOptions { Precision = options.Precision, ImageOutput = options.ImageOutput }, config.Path, progress),
            // A transformers config: always float32 (Gemma-2 overflows in float16), soft-capped attention.
            Gemma2Model.ClassName or "Gemma2ForCausalLM" => Gemma2Model.Build(config.Deserialize<Gemma2Config>(), weights, Gemma2GraphOptions.Default),
            _ => throw new CheckpointException(config.Path, null,
                $"has unknown _class_name '{config.ClassName}'; supported: {string.Join(", ", SupportedClassNames)}."),
        };
    }

    /// <summary>Rejects options that mean nothing for the class, naming the option (as the CLI spells it).</summary>
    private static void CheckOptions(string className, ModelBuildOptions options)
    {
        bool isTransformer = className == "SanaTransformer2DModel", isControlNet = className == "SanaControlNetModel";
        if (options.ControlBlocks < 0)
            throw new ArgumentException($"`control_blocks` must be ≥ 0 but is {options.ControlBlocks}.", nameof(options));
        if (options.ControlBlocks > 0 && !isTransformer)
            throw new ArgumentException($"`control_blocks` applies to SanaTransformer2DModel only, not {className}.", nameof(options));
        if (options.Part is not null && className != "AutoencoderDC")
            throw new ArgumentException($"`part` applies to AutoencoderDC only, not {className}.", nameof(options));
        if (options.ImageOutput && !(className == "AutoencoderDC" && options.Part == "decoder"))
            throw new ArgumentException($"`image_output` applies to the AutoencoderDC decoder only, not {className} {options.Part}.", nameof(options));
        if (options.BaseTransformerDirectory is not null && !(isControlNet && options.ControlNetWiring == ControlNetWiring.NvLabs))
            throw new ArgumentException("`base_transformer` applies to SanaControlNetModel with NVlabs wiring only.", nameof(options));
    }

    private static AutoencoderDCPart AutoencoderPart(ModelBuildOptions options) => options.Part switch
    {
        "encoder" => AutoencoderDCPart.Encoder,
        "decoder" => AutoencoderDCPart.Decoder,
        _ => throw new ArgumentException($"AutoencoderDC needs `part` encoder or decoder but it is '{options.Part ?? "null"}'.", nameof(options)),
    };

    /// <summary>
    /// Builds a standalone graph of the component in <paramref name="componentDirectory"/> (with <c>config.json</c> and
    /// weights, or a TAESana folder or file: see <see cref="TinyAutoencoder.Export"/>) and writes it to <paramref name="outputPath"/> with every weight in <c>{outputPath}.data</c>.
    /// </summary>
    /// <exception cref="CheckpointException">Missing or malformed checkpoint, or an unknown class.</exception>
    public static SavedModel Export(string componentDirectory, string outputPath, ModelBuildOptions options,
        IProgress<GraphBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        // TAESana has no config.json: its folder (or file) holds taesd's encoder/decoder weights.
        if (TinyAutoencoderCheckpoint.IsCheckpoint(componentDirectory))
            return TinyAutoencoder.Export(componentDirectory, outputPath, options, progress, cancellationToken);
        var config = ComponentConfig.Load(componentDirectory);
        using var weights = SafetensorsCheckpoint.Open(config.Directory);
        var graph = Build(config, weights, options, progress);
        return OnnxModelWriter.Save(graph, outputPath, WeightStorage.SingleFile, progress, Metadata(config, options), cancellationToken);
    }

    /// <summary>
    /// Returns the cached graph of the component, building it on first use. The cached graph references the checkpoint's
    /// <c>.safetensors</c> in place where its dtype matches the precision (see <see cref="WeightStorage.ReferenceCheckpoint"/>).
    /// </summary>
    /// <exception cref="CheckpointException">Missing or malformed checkpoint, or an unknown class.</exception>
    public static CachedGraph BuildCached(string componentDirectory, GraphCache cache, ModelBuildOptions options,
        IProgress<GraphBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var config = ComponentConfig.Load(componentDirectory);
        using var weights = SafetensorsCheckpoint.Open(config.Directory);
        var inputs = new List<string> { config.Path };
        inputs.AddRange(weights.Files.Select(f => f.Path));
        if (weights.Path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) inputs.Add(weights.Path);
        if (options.BaseTransformerDirectory is not null)
        {
            inputs.Add(ComponentConfig.Load(options.BaseTransformerDirectory).Path);
            inputs.Add(SafetensorsCheckpoint.FindWeights(options.BaseTransformerDirectory));
        }
        string name = $"{config.ClassName}{(options.Part is null ? "" : "-" + options.Part)}";
        return cache.GetOrBuild(name, inputs, options.CacheText, modelPath =>
        {
            var graph = Build(config, weights, options, progress);
            OnnxModelWriter.Save(graph, modelPath, WeightStorage.ReferenceCheckpoint, progress, Metadata(config, options), cancellationToken);
        }, progress);
    }

    private static Dictionary<string, string> Metadata(ComponentConfig config, ModelBuildOptions options) => new()
    {
        ["sanasprint.class_name"] = config.ClassName,
        ["sanasprint.options"] = options.CacheText,
    };
}
