// Ported from diffusers autoencoder_dc.py (ResBlock, EfficientViTBlock, DCDownBlock2d, DCUpBlock2d, Encoder, Decoder),
// attention_processor.py (SanaMultiscaleLinearAttention, SanaMultiscaleAttnProcessor2_0), sana_transformer.py (GLUMBConv)
// and normalization.py (RMSNorm) @ 58eb52c.
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Onnx.Proto;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Models;

/// <summary>Which half of an <c>AutoencoderDC</c> a graph computes.</summary>
public enum AutoencoderDCPart
{
    /// <summary>Image → latent: input <c>x</c> [B, in_channels, H, W] in [−1, 1], output <c>latent</c>
    /// [B, latent_channels, H/f, W/f] (raw, before <c>scaling_factor</c>).</summary>
    Encoder,

    /// <summary>Latent → image: input <c>z</c> [B, latent_channels, h, w] (latents already divided by
    /// <c>scaling_factor</c>, as the pipelines call <c>vae.decode</c>), output <c>sample</c> [B, in_channels, h·f, w·f].</summary>
    Decoder,
}

/// <summary>How an <see cref="AutoencoderDC"/> graph is built.</summary>
public sealed record AutoencoderDCBuildOptions
{
    /// <summary>Compute precision. Fp16 keeps the attention (both branches), every RMSNorm and the graph inputs and
    /// outputs in float32.</summary>
    /// <remarks>Defaults to <see cref="GraphPrecision.Fp32"/>.</remarks>
    public GraphPrecision Precision { get; init; } = GraphPrecision.Fp32;

    /// <summary>
    /// Spatial size of the graph input (pixels for the encoder, latent cells for the decoder) the graph is built for.
    /// <list type="bullet">
    /// <item><c>null</c>: batch and spatial dimensions stay dynamic, and every EfficientViT block picks its attention
    /// branch at run time with an ONNX <c>If</c> on the H·W it receives (linear when H·W &gt; attention_head_dim,
    /// quadratic otherwise), exactly as diffusers decides per call.</item>
    /// <item>A size: the input's spatial dimensions are fixed to it and each block's branch is chosen while building,
    /// from the resolution that block will see; the graph has no control flow (CUDA graphs can capture it).</item>
    /// </list>
    /// </summary>
    /// <remarks>Defaults to <c>null</c>.</remarks>
    public (int Height, int Width)? InputSize { get; init; }

    /// <summary>
    /// Decoder only: a second output <c>image</c>, the frame as uint8 RGB [batch, height, width, 3] (the pipeline's
    /// post-process in the graph), so that only the final bytes leave the device.
    /// </summary>
    /// <remarks>Defaults to <c>false</c>.</remarks>
    public bool ImageOutput { get; init; }
}

/// <summary>
/// Builds ONNX graphs of diffusers' <c>AutoencoderDC</c> (DC-AE; dc-ae-f32c32-sana and other configs of the same class)
/// straight from its <c>config.json</c> and safetensors weights. One method per diffusers module, in diffusers' order;
/// nodes are named after module paths (<c>decoder.up_blocks.3.1.attn.to_qkv_multiscale.0.proj_in/Conv</c>) and
/// initializers are the safetensors keys.
/// </summary>
/// <remarks>
/// Supported: <c>ResBlock</c> and <c>EfficientViTBlock</c> stages (multiscale ReLU attention with any kernel sizes),
/// <c>conv</c> and <c>pixel_unshuffle</c> downsampling, <c>interpolate</c> and <c>pixel_shuffle</c> upsampling, the
/// encoder out-shortcut and decoder in-shortcut, <c>rms_norm</c> norms, activations <c>silu</c>/<c>swish</c>,
/// <c>relu</c>, <c>gelu</c>, <c>mish</c>. Other norm types (diffusers' <c>batch_norm</c>) are rejected with an error
/// naming the config key. Encoder inputs need H and W divisible by 2^(stages − 1).
/// </remarks>
public sealed class AutoencoderDC
{
    /// <summary>The diffusers <c>_class_name</c>.</summary>
    public const string ClassName = "AutoencoderDC";

    /// <summary>Epsilon of every RMSNorm in the model (diffusers <c>get_normalization</c>, GLUMBConv, <c>norm_out</c>).</summary>
    public const double NormEps = 1e-5;

    /// <summary>Epsilon added to the attention denominator (<c>SanaMultiscaleLinearAttention.eps</c>).</summary>
    public const double AttentionEps = 1e-15;

    private readonly GraphBuilder g;
    private readonly AutoencoderDCConfig config;
    private readonly AutoencoderDCBuildOptions options;
    private readonly string source;
    private readonly IProgress<GraphBuildProgress>? progress;
    private readonly long totalBlocks;
    private long blocksDone;

    private AutoencoderDC(GraphBuilder builder, AutoencoderDCConfig config, AutoencoderDCBuildOptions options, string source,
        IProgress<GraphBuildProgress>? progress, AutoencoderDCPart part)
    {
        g = builder;
        this.config = config;
        this.options = options;
        this.source = source;
        this.progress = progress;
        var layers = part == AutoencoderDCPart.Encoder ? config.EncoderLayersPerBlock : config.DecoderLayersPerBlock;
        totalBlocks = layers.Sum() + 2L * layers.Length; // blocks, up/downsamples, conv_in/conv_out
    }

    private void Report(long blocks = 1)
    {
        blocksDone = Math.Min(totalBlocks, blocksDone + blocks);
        progress?.Report(new GraphBuildProgress("building graph", blocksDone, totalBlocks));
    }

    /// <summary>Element type of activations between fp32 islands.</summary>
    private DT Compute => g.ComputeType;

    // ================================================================== public entry points

    /// <summary>Builds the encoder or decoder graph.</summary>
    /// <param name="part">Encoder or decoder.</param>
    /// <param name="config">The component's <c>config.json</c>.</param>
    /// <param name="weights">The component's safetensors (<c>encoder.*</c> and/or <c>decoder.*</c> keys).</param>
    /// <param name="options">Precision and spatial size; defaults when <c>null</c>.</param>
    /// <param name="configPath">The config file, named in configuration errors.</param>
    /// <param name="progress">Receives <c>building graph</c> progress, one unit per block.</param>
    /// <returns>The finished graph, ready for <see cref="OnnxModelWriter.Save"/>.</returns>
    /// <exception cref="CheckpointException">The config is inconsistent or unsupported, or a tensor is missing,
    /// mis-shaped, of an unsupported dtype, or unexpected under the part's prefix.</exception>
    public static GraphBuilder Build(AutoencoderDCPart part, AutoencoderDCConfig config, SafetensorsCheckpoint weights,
        AutoencoderDCBuildOptions? options = null, string configPath = "config.json", IProgress<GraphBuildProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        options ??= new AutoencoderDCBuildOptions();
        Validate(config, configPath);
        if (options.InputSize is { } size)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size.Height, "options.InputSize.Height");
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size.Width, "options.InputSize.Width");
            int f = SpatialCompression(config);
            if (part == AutoencoderDCPart.Encoder && (size.Height % f != 0 || size.Width % f != 0))
                throw new ArgumentException(
                    $"`options.InputSize` {size.Height}×{size.Width} must be divisible by the spatial compression {f} (2^(stages − 1)).", nameof(options));
        }

        var builder = new GraphBuilder(part == AutoencoderDCPart.Encoder ? "AutoencoderDC.encoder" : "AutoencoderDC.decoder", options.Precision, weights);
        var model = new AutoencoderDC(builder, config, options, configPath, progress, part);
        if (part == AutoencoderDCPart.Encoder) model.BuildEncoderGraph();
        else model.BuildDecoderGraph();

        string prefix = part == AutoencoderDCPart.Encoder ? "encoder." : "decoder.";
        var unexpected = weights.UnusedNames.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (unexpected.Count > 0)
        {
            string more = unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more: {string.Join(", ", unexpected.Skip(1).Take(5))}{(unexpected.Count > 6 ? ", ..." : "")})" : "";
            throw new CheckpointException(weights.FileOf(unexpected[0]).Path, unexpected[0],
                $"is unexpected: the {part.ToString().ToLowerInvariant()} built from {configPath} has no parameter of this name{more}.");
        }

        return builder;
    }

    /// <summary>Graph input name of a part (<c>x</c> or <c>z</c>).</summary>
    public static string InputName(AutoencoderDCPart part) => part == AutoencoderDCPart.Encoder ? "x" : "z";

    /// <summary>Graph output name of a part (<c>latent</c> or <c>sample</c>).</summary>
    public static string OutputName(AutoencoderDCPart part) => part == AutoencoderDCPart.Encoder ? "latent" : "sample";

    /// <summary>The spatial compression factor, 2^(stages − 1) (diffusers <c>spatial_compression_ratio</c>).</summary>
    public static int SpatialCompression(AutoencoderDCConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return 1 << (config.EncoderBlockOutChannels.Length - 1);
    }

    /// <summary><c>metadata_props</c> worth storing with an exported graph (class, part, scaling factor, compression).</summary>
    public static IReadOnlyDictionary<string, string> Metadata(AutoencoderDCPart part, AutoencoderDCConfig config) =>
        new Dictionary<string, string>
        {
            ["diffusers_class"] = ClassName,
            ["part"] = part.ToString().ToLowerInvariant(),
            ["scaling_factor"] = config.ScalingFactor.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["spatial_compression"] = SpatialCompression(config).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

    /// <summary>Checks that per-stage lists agree in length and that every block, norm, activation and
    /// up/downsample type is one this builder implements.</summary>
    /// <exception cref="CheckpointException">The first problem, naming the config key.</exception>
    public static void Validate(AutoencoderDCConfig config, string configPath = "config.json")
    {
        ArgumentNullException.ThrowIfNull(config);
        void Fail(string message) => throw new CheckpointException(configPath, null, message);
        void PerStage(string key, int length, int stages)
        {
            if (length != stages)
                Fail($"`{key}` has {length} entries; expected {stages} (one per stage, as `{(key.StartsWith("encoder", StringComparison.Ordinal) ? "encoder" : "decoder")}_block_out_channels`).");
        }
        void OneOrPerStage(string key, string[] values, int stages)
        {
            if (values.Length != 1 && values.Length != stages)
                Fail($"`{key}` has {values.Length} entries; expected one string or {stages} (one per stage).");
        }

        if (config.InChannels <= 0) Fail($"`in_channels` is {config.InChannels}; expected a positive number.");
        if (config.LatentChannels <= 0) Fail($"`latent_channels` is {config.LatentChannels}; expected a positive number.");
        if (config.AttentionHeadDim <= 0) Fail($"`attention_head_dim` is {config.AttentionHeadDim}; expected a positive number.");
        foreach (var (side, channels, layers, types, scales) in new[]
        {
            ("encoder", config.EncoderBlockOutChannels, config.EncoderLayersPerBlock, config.EncoderBlockTypes, config.EncoderQkvMultiscales),
            ("decoder", config.DecoderBlockOutChannels, config.DecoderLayersPerBlock, config.DecoderBlockTypes, config.DecoderQkvMultiscales),
        })
        {
            int n = channels.Length;
            if (n == 0) Fail($"`{side}_block_out_channels` is empty.");
            PerStage($"{side}_layers_per_block", layers.Length, n);
            PerStage($"{side}_qkv_multiscales", scales.Length, n);
            OneOrPerStage($"{side}_block_types", types, n);
            for (int i = 0; i < n; i++)
            {
                if (channels[i] <= 0) Fail($"`{side}_block_out_channels[{i}]` is {channels[i]}; expected a positive number.");
                if (layers[i] < 0) Fail($"`{side}_layers_per_block[{i}]` is {layers[i]}; expected 0 or more.");
                string type = AutoencoderDCConfig.PerStage(types, i);
                if (type is not ("ResBlock" or "EfficientViTBlock"))
                    Fail($"`{side}_block_types[{i}]` is '{type}'; supported: 'ResBlock', 'EfficientViTBlock'.");
                if (type == "EfficientViTBlock" && layers[i] > 0)
                {
                    if (channels[i] / config.AttentionHeadDim == 0)
                        Fail($"`{side}_block_out_channels[{i}]` = {channels[i]} is smaller than `attention_head_dim` = {config.AttentionHeadDim}: the attention would have no heads.");
                    foreach (int k in scales[i])
                        if (k <= 0 || k % 2 == 0) Fail($"`{side}_qkv_multiscales[{i}]` holds kernel size {k}; expected odd positive sizes.");
                }
            }
            for (int i = 1; i < n; i++)
                if (layers[i] == 0)
                    Fail($"`{side}_layers_per_block[{i}]` is 0; only the first stage may be empty (as in diffusers, whose shapes break otherwise).");
        }
        if (config.EncoderBlockOutChannels.Length != config.DecoderBlockOutChannels.Length)
            Fail($"`encoder_block_out_channels` has {config.EncoderBlockOutChannels.Length} stages but `decoder_block_out_channels` has {config.DecoderBlockOutChannels.Length}.");
        OneOrPerStage("decoder_norm_types", config.DecoderNormTypes, config.DecoderBlockOutChannels.Length);
        OneOrPerStage("decoder_act_fns", config.DecoderActFns, config.DecoderBlockOutChannels.Length);
        for (int i = 0; i < config.DecoderBlockOutChannels.Length; i++)
        {
            string norm = AutoencoderDCConfig.PerStage(config.DecoderNormTypes, i);
            if (norm != "rms_norm") Fail($"`decoder_norm_types[{i}]` is '{norm}'; only 'rms_norm' is supported.");
            string act = AutoencoderDCConfig.PerStage(config.DecoderActFns, i);
            if (!IsSupportedActivation(act)) Fail($"`decoder_act_fns[{i}]` is '{act}'; supported: {SupportedActivations}.");
        }
        if (!IsSupportedActivation(config.DecoderConvActFn))
            Fail($"`decoder_conv_act_fn` is '{config.DecoderConvActFn}'; supported: {SupportedActivations}.");
        if (config.UpsampleBlockType is not ("interpolate" or "pixel_shuffle"))
            Fail($"`upsample_block_type` is '{config.UpsampleBlockType}'; supported: 'interpolate', 'pixel_shuffle'.");
        if (config.DownsampleBlockType is not ("conv" or "Conv" or "pixel_unshuffle"))
            Fail($"`downsample_block_type` is '{config.DownsampleBlockType}'; supported: 'conv', 'pixel_unshuffle'.");
        var enc = config.EncoderBlockOutChannels;
        for (int i = 0; i + 1 < enc.Length; i++)
            if (enc[i] * 4 % enc[i + 1] != 0)
                Fail($"`encoder_block_out_channels[{i + 1}]` = {enc[i + 1]} must divide 4 × {enc[i]} (the downsample shortcut averages groups of channels).");
        var dec = config.DecoderBlockOutChannels;
        for (int i = 0; i + 1 < dec.Length; i++)
            if (dec[i] * 4 % dec[i + 1] != 0)
                Fail($"`decoder_block_out_channels[{i + 1}]` = {dec[i + 1]} must divide 4 × {dec[i]} (the upsample shortcut repeats channels).");
        if (config.EncoderOutShortcut && enc[^1] % config.LatentChannels != 0)
            Fail($"`latent_channels` = {config.LatentChannels} must divide `encoder_block_out_channels[-1]` = {enc[^1]} when `encoder_out_shortcut` is true.");
        if (config.DecoderInShortcut && dec[^1] % config.LatentChannels != 0)
            Fail($"`latent_channels` = {config.LatentChannels} must divide `decoder_block_out_channels[-1]` = {dec[^1]} when `decoder_in_shortcut` is true.");
    }

    private const string SupportedActivations = "'silu', 'swish', 'relu', 'gelu', 'mish'";

    private static bool IsSupportedActivation(string name) => name is "silu" or "swish" or "relu" or "gelu" or "mish";

    private bool DownsampleIsPixelUnshuffle => config.DownsampleBlockType == "pixel_unshuffle";

    private bool UpsampleIsInterpolate => config.UpsampleBlockType == "interpolate";

    // ================================================================== Encoder / Decoder

    /// <summary>diffusers <c>Encoder.forward</c>.</summary>
    private void BuildEncoderGraph()
    {
        var channels = config.EncoderBlockOutChannels;
        var layers = config.EncoderLayersPerBlock;
        int n = channels.Length;
        var size = options.InputSize;

        var x = g.Input("x", DT.Float, "batch", (long)config.InChannels, Dim(size?.Height, "height"), Dim(size?.Width, "width"));
        var h = g.CastIfNeeded("encoder/input", x, Compute);

        // 1. conv_in (a plain conv, or a DCDownBlock2d without shortcut when the first stage is empty)
        long c;
        if (layers[0] > 0)
        {
            c = channels[0];
            h = Conv2d("encoder.conv_in", h, config.InChannels, c, 3, because: "encoder_block_out_channels[0] × in_channels × 3 × 3");
        }
        else
        {
            c = channels[1];
            h = DCDownBlock2d("encoder.conv_in", h, config.InChannels, c, DownsampleIsPixelUnshuffle, shortcut: false);
        }

        // 2. down blocks: layers, then a DCDownBlock2d into the next stage's width
        for (int i = 0; i < n; i++)
        {
            string type = AutoencoderDCConfig.PerStage(config.EncoderBlockTypes, i);
            for (int j = 0; j < layers[i]; j++)
                h = Block($"encoder.down_blocks.{i}.{j}", h, type, channels[i], "silu", config.EncoderQkvMultiscales[i],
                    StageSize(AutoencoderDCPart.Encoder, i));
            if (layers[i] > 0) c = channels[i];
            if (i < n - 1 && layers[i] > 0)
            {
                h = DCDownBlock2d($"encoder.down_blocks.{i}.{layers[i]}", h, channels[i], channels[i + 1], DownsampleIsPixelUnshuffle, shortcut: true);
                c = channels[i + 1];
            }
        }

        // 3. conv_out (+ out shortcut: mean over consecutive groups of channels)
        var latent = Conv2d("encoder.conv_out", h, c, config.LatentChannels, 3, because: "latent_channels × encoder_block_out_channels[-1] × 3 × 3");
        if (config.EncoderOutShortcut)
        {
            var shortcut = ChannelGroupMean("encoder/out_shortcut", h, c, c / config.LatentChannels);
            latent = g.Add("encoder/out_shortcut", latent, shortcut);
        }

        latent = g.CastIfNeeded("encoder/output", latent, DT.Float);
        Report(totalBlocks);
        long f = SpatialCompression(config);
        g.Output(latent, "latent", "batch", (long)config.LatentChannels, Dim(size?.Height / f, "latent_height"), Dim(size?.Width / f, "latent_width"));
    }

    /// <summary>diffusers <c>Decoder.forward</c>.</summary>
    private void BuildDecoderGraph()
    {
        var channels = config.DecoderBlockOutChannels;
        var layers = config.DecoderLayersPerBlock;
        int n = channels.Length;
        var size = options.InputSize;

        var z = g.Input("z", DT.Float, "batch", (long)config.LatentChannels, Dim(size?.Height, "latent_height"), Dim(size?.Width, "latent_width"));
        var h = g.CastIfNeeded("decoder/input", z, Compute);

        // 1. conv_in (+ in shortcut: repeat_interleave of the latent channels)
        long c = channels[^1];
        var x = Conv2d("decoder.conv_in", h, config.LatentChannels, c, 3, because: "decoder_block_out_channels[-1] × latent_channels × 3 × 3");
        if (config.DecoderInShortcut)
        {
            var shortcut = RepeatInterleaveChannels("decoder/in_shortcut", h, config.LatentChannels, c / config.LatentChannels);
            x = g.Add("decoder/in_shortcut", x, shortcut);
        }
        h = x;

        // 2. up blocks, deepest first: a DCUpBlock2d from the deeper stage's width (index 0), then the layers
        for (int i = n - 1; i >= 0; i--)
        {
            int j = 0;
            if (i < n - 1 && layers[i] > 0)
            {
                h = DCUpBlock2d($"decoder.up_blocks.{i}.0", h, channels[i + 1], channels[i], UpsampleIsInterpolate, shortcut: true);
                c = channels[i];
                j = 1;
            }
            string type = AutoencoderDCConfig.PerStage(config.DecoderBlockTypes, i);
            string act = AutoencoderDCConfig.PerStage(config.DecoderActFns, i);
            for (int k = 0; k < layers[i]; k++, j++)
                h = Block($"decoder.up_blocks.{i}.{j}", h, type, channels[i], act, config.DecoderQkvMultiscales[i],
                    StageSize(AutoencoderDCPart.Decoder, i));
        }

        // 3. norm_out → conv_act → conv_out (a DCUpBlock2d without shortcut when the first stage is empty)
        h = RmsNorm2d("decoder.norm_out", h, c, "decoder_block_out_channels[0]");
        h = Activation("decoder.conv_act", h, config.DecoderConvActFn);
        h = layers[0] > 0
            ? Conv2d("decoder.conv_out", h, c, config.InChannels, 3, because: "in_channels × decoder_block_out_channels[0] × 3 × 3")
            : DCUpBlock2d("decoder.conv_out", h, c, config.InChannels, UpsampleIsInterpolate, shortcut: false);

        var sample = g.CastIfNeeded("decoder/output", h, DT.Float);
        Report(totalBlocks);
        long f = SpatialCompression(config);
        g.Output(sample, "sample", "batch", (long)config.InChannels, Dim(size?.Height * f, "height"), Dim(size?.Width * f, "width"));
        if (options.ImageOutput) ImageOutput(sample, size, f);
    }

    /// <summary>
    /// diffusers <c>VaeImageProcessor.postprocess</c> + <c>numpy_to_pil</c> (image_processor.py): (x / 2 + 0.5).clamp(0, 1) · 255,
    /// rounded to uint8, channels last; computed as <c>ImageProcessor.Postprocess</c> does, floor(clamp(127.5·x + 128, 0, 255.5))
    /// (round half up), in float32.
    /// </summary>
    private void ImageOutput(GraphValue sample, (int Height, int Width)? size, long f)
    {
        var scaled = g.Add("image/offset", g.Mul("image/scale", sample, g.Scalar(127.5, DT.Float)), g.Scalar(128, DT.Float));
        var clipped = g.Clip("image/clamp", scaled, g.Scalar(0, DT.Float), g.Scalar(255.5, DT.Float));
        var bytes = g.Cast("image/cast", g.Floor("image/round", clipped), DT.Uint8);
        var hwc = g.Transpose("image/channels_last", bytes, 0, 2, 3, 1);
        g.Output(hwc, "image", "batch", Dim(size?.Height * f, "height"), Dim(size?.Width * f, "width"), 3L);
    }

    /// <summary>A fixed graph dimension, or a symbolic (dynamic) one when no size is given.</summary>
    private static object Dim(long? value, string symbol) => value is { } v ? v : symbol;

    /// <summary>The resolution stage <paramref name="stage"/>'s blocks see, when the graph is built for a fixed size.</summary>
    private (long Height, long Width)? StageSize(AutoencoderDCPart part, int stage)
    {
        if (options.InputSize is not { } size) return null;
        int n = config.EncoderBlockOutChannels.Length;
        return part == AutoencoderDCPart.Encoder
            ? ((long)size.Height >> stage, (long)size.Width >> stage)
            : ((long)size.Height << (n - 1 - stage), (long)size.Width << (n - 1 - stage));
    }

    /// <summary>diffusers <c>get_block</c>.</summary>
    private GraphValue Block(string path, GraphValue x, string type, long channels, string actFn, int[] qkvMultiscales,
        (long Height, long Width)? size)
    {
        Report();
        return type switch
        {
            "ResBlock" => ResBlock(path, x, channels, actFn),
            "EfficientViTBlock" => EfficientViTBlock(path, x, channels, qkvMultiscales, size),
            _ => throw new CheckpointException(source, null, $"block type '{type}' at '{path}' is not supported."),
        };
    }

    // ================================================================== blocks

    /// <summary>
    /// diffusers <c>ResBlock</c>: conv1 (3×3, bias) → act → conv2 (3×3, no bias) → RMSNorm over channels → + input.
    /// </summary>
    private GraphValue ResBlock(string path, GraphValue x, long c, string actFn)
    {
        var h = Conv2d($"{path}.conv1", x, c, c, 3, because: "block_out_channels[i] × block_out_channels[i] × 3 × 3");
        h = Activation($"{path}.nonlinearity", h, actFn);
        h = Conv2d($"{path}.conv2", h, c, c, 3, bias: false, because: "block_out_channels[i] × block_out_channels[i] × 3 × 3");
        h = RmsNorm2d($"{path}.norm", h, c, "block_out_channels[i]");
        return g.Add(path, h, x);
    }

    /// <summary>diffusers <c>EfficientViTBlock</c>: multiscale attention (residual) then GLUMBConv (residual).</summary>
    private GraphValue EfficientViTBlock(string path, GraphValue x, long c, int[] qkvMultiscales, (long Height, long Width)? size)
    {
        var h = MultiscaleLinearAttention($"{path}.attn", x, c, qkvMultiscales, size);
        return GluMbConv($"{path}.conv_out", h, c);
    }

    /// <summary>
    /// diffusers <c>SanaMultiscaleLinearAttention</c> run by <c>SanaMultiscaleAttnProcessor2_0</c> (residual, rms_norm):
    /// <code>
    ///  x ─ to_q|to_k|to_v (one 1×1 conv, weights concatenated) ─ qkv [B, 3·inner, H, W]
    ///        ├─ to_qkv_multiscale.i: depthwise k×k → grouped 1×1 (3·heads groups)   (one branch per kernel size)
    ///  concat ─ (fp32) ─ reshape [B, heads·(1+n), 3·d, H·W] ─ split q | k | v, ReLU(q), ReLU(k)
    ///        ├─ H·W &gt; d : linear     out = (v·kᵀ)·q / ((Σⱼ kⱼ)ᵀ·q + 1e-15)
    ///        └─ else      : quadratic s = kᵀ·q;  s /= (Σ over keys + 1e-15);  out = v·s
    ///  reshape [B, inner·(1+n), H, W] ─ (cast back) ─ to_out (1×1) ─ norm_out (RMSNorm) ─ + x
    /// </code>
    /// Both branches compute the same function; they differ in cost and rounding, so the branch follows diffusers' rule.
    /// </summary>
    private GraphValue MultiscaleLinearAttention(string path, GraphValue x, long c, int[] kernelSizes, (long Height, long Width)? size)
    {
        long d = config.AttentionHeadDim;
        long heads = c / d;
        long inner = heads * d;
        int scales = kernelSizes.Length;

        // 1. to_q, to_k, to_v (Linear without bias on channel-last = 1×1 conv), concatenated along channels
        string because = "attention heads × attention_head_dim, block_out_channels[i]";
        var wq = g.Weight($"{path}.to_q.weight", [inner, c], because);
        var wk = g.Weight($"{path}.to_k.weight", [inner, c], because);
        var wv = g.Weight($"{path}.to_v.weight", [inner, c], because);
        var wqkv = g.Reshape($"{path}/qkv", g.Concat($"{path}/qkv", 0, wq, wk, wv), 3 * inner, c, 1, 1);
        var qkv = g.Conv($"{path}/qkv", x, wqkv, null, [1, 1]);

        // 2. multiscale projections of qkv
        var parts = new List<GraphValue> { qkv };
        for (int i = 0; i < scales; i++)
        {
            string p = $"{path}.to_qkv_multiscale.{i}";
            long k = kernelSizes[i];
            var win = g.Weight($"{p}.proj_in.weight", [3 * inner, 1, k, k], $"depthwise {k}×{k} over 3 × inner channels");
            var ms = g.Conv($"{p}.proj_in", qkv, win, null, [k, k], pads: [k / 2, k / 2, k / 2, k / 2], group: 3 * inner);
            var wout = g.Weight($"{p}.proj_out.weight", [3 * inner, d, 1, 1], "grouped 1×1 with 3 × heads groups of attention_head_dim channels");
            parts.Add(g.Conv($"{p}.proj_out", ms, wout, null, [1, 1], group: 3 * heads));
        }
        var all = scales == 0 ? qkv : g.Concat($"{path}/multiscale", 1, parts.ToArray());

        // 3. fp32 island: [B, G, 3d, N] → q, k, v with ReLU kernels
        long groups = heads * (1 + scales);
        var all32 = g.CastIfNeeded($"{path}/attention/input", all, DT.Float);
        var grouped = g.Reshape($"{path}/heads", all32, 0, groups, 3 * d, -1);
        var qkvSplit = g.Split($"{path}/heads", grouped, 2, d, d, d);
        var q = g.Relu($"{path}.nonlinearity/q", qkvSplit[0]);
        var key = g.Relu($"{path}.nonlinearity/k", qkvSplit[1]);
        var v = qkvSplit[2];

        // 4. linear or quadratic attention, for the H·W this block sees
        var hw = g.Shape($"{path}/spatial", x, start: 2);
        GraphValue attended;
        if (size is { } s)
        {
            attended = s.Height * s.Width > d
                ? LinearAttentionBranch($"{path}/linear", q, key, v)
                : QuadraticAttentionBranch($"{path}/quadratic", q, key, v);
        }
        else
        {
            var height = g.Gather($"{path}/spatial/height", hw, g.ConstScalar(0));
            var width = g.Gather($"{path}/spatial/width", hw, g.ConstScalar(1));
            var tokens = g.Mul($"{path}/spatial", height, width);
            var useLinear = g.Node($"{path}/branch", "Greater", [tokens, g.ConstScalar(d)], [DT.Bool], outputShapes: [Array.Empty<long>()])[0];
            attended = If($"{path}/branch", useLinear,
                () => LinearAttentionBranch($"{path}/linear", q, key, v),
                () => QuadraticAttentionBranch($"{path}/quadratic", q, key, v));
        }

        // 5. back to NCHW, cast back (clipped to the fp16 range so overflow cannot become inf)
        var shape = g.Concat($"{path}/merge", 0, g.Const(0, inner * (1 + scales)), hw);
        var h = g.Reshape($"{path}/merge", attended, shape) with { Shape = [x.Shape?[0] ?? -1, inner * (1 + scales), x.Shape?[2] ?? -1, x.Shape?[3] ?? -1] };
        if (Compute != DT.Float)
        {
            h = g.Clip($"{path}/attention/output", h, g.Scalar(-65504, DT.Float), g.Scalar(65504, DT.Float));
            h = g.Cast($"{path}/attention/output", h, Compute);
        }

        // 6. to_out (Linear without bias = 1×1 conv), norm_out, residual
        var wo = g.Weight($"{path}.to_out.weight", [c, inner * (1 + scales)], "block_out_channels[i], inner × (1 + number of multiscales)");
        h = g.Conv($"{path}.to_out", h, g.Reshape($"{path}.to_out/weight", wo, c, inner * (1 + scales), 1, 1), null, [1, 1]);
        h = RmsNorm2d($"{path}.norm_out", h, c, "block_out_channels[i]");
        return g.Add(path, h, x);
    }

    /// <summary>ReLU linear attention, O(N·d²): out = (v·kᵀ)·q / ((Σⱼ kⱼ)ᵀ·q + eps). Inputs [B, G, d, N] in float32.
    /// The denominator is computed on its own instead of padding v with a row of ones (same value, no negative slice).</summary>
    private GraphValue LinearAttentionBranch(string path, GraphValue q, GraphValue k, GraphValue v)
    {
        var kT = g.Transpose($"{path}/key", k, 0, 1, 3, 2);
        var vk = g.MatMul($"{path}/scores", v, kT);                  // [B, G, d, d]
        var num = g.MatMul($"{path}/numerator", vk, q);              // [B, G, d, N]
        var kSum = g.ReduceSum($"{path}/key", k, [3]);               // [B, G, d, 1]
        var den = g.MatMul($"{path}/denominator", g.Transpose($"{path}/key_sum", kSum, 0, 1, 3, 2), q); // [B, G, 1, N]
        den = g.Add($"{path}/denominator", den, g.Scalar(AttentionEps, DT.Float));
        return g.Div(path, num, den);
    }

    /// <summary>ReLU quadratic attention, O(N²·d): s = kᵀ·q normalised over keys (+ eps), out = v·s. Inputs [B, G, d, N]
    /// in float32 (diffusers runs kᵀ·q in the input dtype; here it stays in the fp32 island).</summary>
    private GraphValue QuadraticAttentionBranch(string path, GraphValue q, GraphValue k, GraphValue v)
    {
        var kT = g.Transpose($"{path}/key", k, 0, 1, 3, 2);
        var scores = g.MatMul($"{path}/scores", kT, q);              // [B, G, N, N]
        var sum = g.ReduceSum($"{path}/scores", scores, [2]);       // [B, G, 1, N]
        sum = g.Add($"{path}/scores", sum, g.Scalar(AttentionEps, DT.Float));
        scores = g.Div($"{path}/scores", scores, sum);
        return g.MatMul(path, v, scores);                            // [B, G, d, N]
    }

    /// <summary>
    /// diffusers <c>GLUMBConv(C, C, expand_ratio=4, norm_type="rms_norm")</c> with its residual: the shared GLUMBConv body
    /// (<see cref="Layers.GluMbConv"/>: conv_inverted 1×1 C→8C → SiLU → conv_depth 3×3 depthwise → a·SiLU(gate) →
    /// conv_point 1×1 4C→C), then RMSNorm over channels, then + input.
    /// </summary>
    private GraphValue GluMbConv(string path, GraphValue x, long c)
    {
        var h = Layers.GluMbConv(g, path, x, checked((int)c), checked((int)c), 4);
        h = RmsNorm2d($"{path}.norm", h, c, "block_out_channels[i]");
        return g.Add(path, h, x);
    }

    /// <summary>
    /// diffusers <c>DCDownBlock2d</c>. Conv mode: 3×3 stride-2 conv; pixel_unshuffle mode: 3×3 conv to C_out/4 then
    /// pixel_unshuffle. Shortcut: pixel_unshuffle(x) then the mean of consecutive groups of 4·C_in/C_out channels.
    /// </summary>
    private GraphValue DCDownBlock2d(string path, GraphValue x, long cIn, long cOut, bool pixelUnshuffle, bool shortcut)
    {
        GraphValue h;
        if (pixelUnshuffle)
        {
            h = Conv2d($"{path}.conv", x, cIn, cOut / 4, 3, because: "out_channels / 4 × in_channels × 3 × 3 (pixel_unshuffle downsample)");
            h = PixelUnshuffle($"{path}.conv", h, cOut / 4);
        }
        else
        {
            h = Conv2d($"{path}.conv", x, cIn, cOut, 3, stride: 2, because: "out_channels × in_channels × 3 × 3 (stride-2 conv downsample)");
        }
        if (!shortcut) return h;
        var y = PixelUnshuffle($"{path}/shortcut", x, cIn);
        y = ChannelGroupMean($"{path}/shortcut", y, 4 * cIn, 4 * cIn / cOut);
        return g.Add(path, h, y);
    }

    /// <summary>
    /// diffusers <c>DCUpBlock2d</c>. Interpolate mode: nearest ×2 then 3×3 conv; pixel_shuffle mode: 3×3 conv to 4·C_out
    /// then pixel_shuffle (DepthToSpace CRD). Shortcut: repeat_interleave channels by 4·C_out/C_in, then pixel_shuffle.
    /// </summary>
    private GraphValue DCUpBlock2d(string path, GraphValue x, long cIn, long cOut, bool interpolate, bool shortcut)
    {
        GraphValue h;
        if (interpolate)
        {
            h = g.Resize($"{path}/interpolate", x, [1, 1, 2, 2], mode: "nearest", coordinateTransformationMode: "asymmetric", nearestMode: "floor");
            h = Conv2d($"{path}.conv", h, cIn, cOut, 3, because: "out_channels × in_channels × 3 × 3 (interpolate upsample)");
        }
        else
        {
            h = Conv2d($"{path}.conv", x, cIn, 4 * cOut, 3, because: "4 · out_channels × in_channels × 3 × 3 (pixel_shuffle upsample)");
            h = g.DepthToSpace($"{path}.conv", h, 2, "CRD");
        }
        if (!shortcut) return h;
        var y = RepeatInterleaveChannels($"{path}/shortcut", x, cIn, 4 * cOut / cIn);
        y = g.DepthToSpace($"{path}/shortcut", y, 2, "CRD");
        return g.Add(path, h, y);
    }

    // ================================================================== layers

    /// <summary><c>nn.Conv2d</c> with "same" padding: weight <c>{path}.weight</c> [out, in/groups, k, k] and optional bias.</summary>
    private GraphValue Conv2d(string path, GraphValue x, long cIn, long cOut, long kernel, long stride = 1, long groups = 1, bool bias = true,
        string? because = null)
    {
        var w = g.Weight($"{path}.weight", [cOut, cIn / groups, kernel, kernel], because);
        var b = bias ? g.Weight($"{path}.bias", [cOut], because) : null;
        long pad = kernel / 2;
        return g.Conv(path, x, w, b, [kernel, kernel], strides: stride == 1 ? null : [stride, stride],
            pads: pad == 0 ? null : [pad, pad, pad, pad], group: groups);
    }

    /// <summary>
    /// diffusers <c>RMSNorm(C, eps=1e-5, elementwise_affine=True, bias=True)</c> applied over the channel axis of an NCHW
    /// tensor (diffusers moves channels last; this normalises axis 1 in place, no transposes):
    /// x·(mean_c(x²) + eps)^−½·w + b, in float32.
    /// </summary>
    private GraphValue RmsNorm2d(string path, GraphValue x, long c, string because)
    {
        var w = g.Reshape($"{path}/weight", g.Weight($"{path}.weight", [c], because, DT.Float), c, 1, 1);
        var b = g.Reshape($"{path}/bias", g.Weight($"{path}.bias", [c], because, DT.Float), c, 1, 1);
        var x32 = g.CastIfNeeded($"{path}/input", x, DT.Float);
        var variance = g.ReduceMean(path, g.Mul($"{path}/square", x32, x32), [1]);
        var rms = g.Sqrt(path, g.Add($"{path}/eps", variance, g.Scalar(NormEps, DT.Float)));
        var h = g.Div(path, x32, rms);
        h = g.Add($"{path}/bias", g.Mul($"{path}/weight", h, w), b);
        return g.CastIfNeeded($"{path}/output", h, x.Type);
    }

    /// <summary>diffusers <c>get_activation</c>: silu/swish (x·σ(x), one QuickGelu with alpha 1), relu, gelu (erf), mish.</summary>
    private GraphValue Activation(string path, GraphValue x, string name) => name switch
    {
        "silu" or "swish" => g.QuickGelu(path, x, 1.0),
        "relu" => g.Relu(path, x),
        "gelu" => g.Gelu(path, x),
        "mish" => g.Node(path, "Mish", [x], [x.Type], outputShapes: [x.Shape])[0],
        _ => throw new CheckpointException(source, null, $"activation '{name}' at '{path}' is not supported; supported: {SupportedActivations}."),
    };

    // ================================================================== tensor plumbing

    /// <summary><c>torch.repeat_interleave(x, r, dim=1)</c>: channel k of the output is input channel k // r
    /// (Unsqueeze → Expand → Reshape; Tile would interleave the other way).</summary>
    private GraphValue RepeatInterleaveChannels(string path, GraphValue x, long c, long repeats)
    {
        if (repeats == 1) return x;
        var expanded = g.Expand($"{path}/repeat_interleave", g.Unsqueeze($"{path}/repeat_interleave", x, 2), g.Const(1, 1, repeats, 1, 1));
        var shape = g.Concat($"{path}/repeat_interleave", 0, g.Const(0, c * repeats), g.Shape($"{path}/repeat_interleave", x, start: 2));
        return g.Reshape($"{path}/repeat_interleave", expanded, shape) with { Shape = [x.Shape?[0] ?? -1, c * repeats, x.Shape?[2] ?? -1, x.Shape?[3] ?? -1] };
    }

    /// <summary><c>F.pixel_unshuffle(x, 2)</c>: [B, C, H, W] → [B, 4C, H/2, W/2] with channel c·4 + i·2 + j
    /// (Reshape [B, C, H/2, 2, W/2, 2] → Transpose [0, 1, 3, 5, 2, 4] → Reshape; ONNX SpaceToDepth orders channels differently).</summary>
    private GraphValue PixelUnshuffle(string path, GraphValue x, long c)
    {
        string p = $"{path}/pixel_unshuffle";
        var half = g.Div(p, g.Shape(p, x, start: 2), g.Const(2, 2));                       // [H/2, W/2]
        var dims = g.Gather(p, g.Concat($"{p}/dims", 0, half, g.Const(2)), g.Const(0, 2, 1, 2)); // [H/2, 2, W/2, 2]
        var split = g.Reshape($"{p}/split", x, g.Concat($"{p}/split", 0, g.Const(0, c), dims));
        var moved = g.Transpose(p, split, 0, 1, 3, 5, 2, 4);                                  // [B, C, 2, 2, H/2, W/2]
        var merged = g.Reshape($"{p}/merge", moved, g.Concat($"{p}/merge", 0, g.Const(0, 4 * c), half));
        return merged with { Shape = [x.Shape?[0] ?? -1, 4 * c, x.Shape is { } s && s[2] > 0 ? s[2] / 2 : -1, x.Shape is { } t && t[3] > 0 ? t[3] / 2 : -1] };
    }

    /// <summary><c>x.unflatten(1, (-1, group)).mean(dim=2)</c>: the mean of consecutive groups of channels.</summary>
    private GraphValue ChannelGroupMean(string path, GraphValue x, long c, long group)
    {
        if (group == 1) return x;
        string p = $"{path}/group_mean";
        var shape = g.Concat(p, 0, g.Const(0, c / group, group), g.Shape(p, x, start: 2));
        var grouped = g.Reshape(p, x, shape);
        return g.ReduceMean(p, grouped, [2], keepDims: false) with { Shape = [x.Shape?[0] ?? -1, c / group, x.Shape?[2] ?? -1, x.Shape?[3] ?? -1] };
    }

    /// <summary>
    /// ONNX <c>If</c>: builds each branch with the same builder (so node names stay unique graph-wide, and constants and
    /// weights a branch creates live in the main graph, which a subgraph sees as outer scope), then moves the branch's
    /// nodes into the If node's <c>then_branch</c> / <c>else_branch</c> subgraphs. Both branches return one value of
    /// one element type.
    /// </summary>
    private GraphValue If(string path, GraphValue condition, Func<GraphValue> thenBranch, Func<GraphValue> elseBranch)
    {
        var thenGraph = CaptureBranch($"{path}/then_branch", thenBranch, out var thenOut);
        var elseGraph = CaptureBranch($"{path}/else_branch", elseBranch, out var elseOut);
        if (thenOut.Type != elseOut.Type)
            throw new InvalidOperationException($"{path}: branches return {thenOut.Type} and {elseOut.Type}.");
        long[]? shape = thenOut.Shape is { } a && elseOut.Shape is { } b && a.SequenceEqual(b) ? a : null;
        var attrs = new[]
        {
            new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = thenGraph },
            new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = elseGraph },
        };
        return g.Node(path, "If", [condition], [thenOut.Type], attrs, [shape])[0];
    }

    private GraphProto CaptureBranch(string name, Func<GraphValue> body, out GraphValue output)
    {
        var nodes = g.Graph.Node;
        int start = nodes.Count;
        output = body();
        var sub = new GraphProto { Name = name };
        for (int i = start; i < nodes.Count; i++) sub.Node.Add(nodes[i]);
        while (nodes.Count > start) nodes.RemoveAt(nodes.Count - 1);
        string outName = output.Name;
        if (!sub.Node.Any(n => n.Output.Contains(outName)))
            throw new InvalidOperationException($"{name}: the branch must compute its output with at least one node.");
        sub.Output.Add(new ValueInfoProto
        {
            Name = outName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)output.Type } },
        });
        return sub;
    }
}
