// Ported from madebyollin/taesd taesd.py (conv, Clamp, Block, F32Encoder, F32Decoder) @ 5cccb12; diffusers' AutoencoderTiny
// wraps the same modules for the 8× TAESD variants.
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Models;

/// <summary>Which half of a tiny autoencoder a graph computes.</summary>
public enum TinyAutoencoderPart
{
    /// <summary>Image → latent: input <c>image</c> [B, 3, H, W] in [0, 1], output <c>latent</c> [B, C, ⌈H/32⌉, ⌈W/32⌉] in the
    /// DC-AE's unscaled latent space (what <c>AutoencoderDC.decode</c> takes).</summary>
    Encoder,

    /// <summary>Latent → image: input <c>latent</c> [B, C, h, w] (DC-AE unscaled space), output <c>image</c>
    /// [B, 3, 32·h, 32·w], nominally in [0, 1] and not clamped.</summary>
    Decoder,
}

/// <summary>One parameter of a tiny autoencoder checkpoint (see <see cref="TinyAutoencoder.Parameters(TinyAutoencoderPart, long)"/>).</summary>
/// <param name="Key">The state-dict key (<c>3.conv.0.weight</c>).</param>
/// <param name="Shape">Its shape.</param>
public sealed record TinyAutoencoderParameter(string Key, long[] Shape);

/// <summary>
/// Builds ONNX graphs of TAESana, the tiny autoencoder madebyollin/taesd distils from SANA's DC-AE (<c>F32Encoder</c> /
/// <c>F32Decoder</c> in <c>taesd.py</c>: 32 latent channels, 32× spatial compression), from the published
/// <c>taesana_encoder.pth</c> / <c>taesana_decoder.pth</c> or the same weights as <c>.safetensors</c>.
/// </summary>
/// <remarks>
/// <para>The models are <c>nn.Sequential</c> lists, so a checkpoint key is the layer's index in the list
/// (<c>5.weight</c>, <c>6.conv.2.bias</c>); nodes are named the same way (<c>6.conv.2/Conv</c>, <c>6.fuse/Relu</c>) and
/// initializers are the keys unchanged.</para>
/// <para>Conventions differ from the DC-AE: images are in [0, 1] (not [−1, 1]) and latents are the DC-AE's own, before
/// the pipeline's <c>scaling_factor</c>. The decoder first soft-clamps its input to (−3, 3) with <c>tanh(x / 3) · 3</c>;
/// its output is not clamped (taesd clamps only when saving a picture).</para>
/// </remarks>
public sealed class TinyAutoencoder
{
    /// <summary>The class name written in graph metadata and graph-cache names.</summary>
    public const string ClassName = "TinyAutoencoder";

    /// <summary>Spatial compression: five stride-2 convolutions (encoder) or nearest-neighbour ×2 upsamplings (decoder);
    /// the layer order is fixed, so every checkpoint of this family has it, whatever its widths.</summary>
    public const int SpatialCompression = 32;

    /// <summary>Image channels (RGB).</summary>
    public const int ImageChannels = 3;

    /// <summary>Latent channels of TAESana (the DC-AE f32c32's); other counts are read from the weights.</summary>
    public const int DefaultLatentChannels = 32;

    /// <summary>
    /// The optional decoder key holding one number that multiplies the decoder's input before its clamp (absent: 1, as in
    /// the published TAESana). taesd's clamp, <c>tanh(x / 3) · 3</c>, assumes latents of magnitude ≲ 3 (SANA's DC-AE,
    /// std ≈ 2.4); a DC-AE with larger latents (the demo's, std ≈ 5.4) gets its tiny decoder this input scale instead.
    /// </summary>
    public const string LatentScaleKey = "latent_scale";

    /// <summary>The file-name stem taesd publishes per part: <c>taesana_encoder</c> / <c>taesana_decoder</c>.</summary>
    public static string FileStem(TinyAutoencoderPart part) => part == TinyAutoencoderPart.Encoder ? "taesana_encoder" : "taesana_decoder";

    /// <summary>The graph input of a part: <c>image</c> (encoder) or <c>latent</c> (decoder).</summary>
    public static string InputName(TinyAutoencoderPart part) => part == TinyAutoencoderPart.Encoder ? "image" : "latent";

    /// <summary>The graph output of a part: <c>latent</c> (encoder) or <c>image</c> (decoder).</summary>
    public static string OutputName(TinyAutoencoderPart part) => part == TinyAutoencoderPart.Encoder ? "latent" : "image";

    // ================================================================== architecture (taesd.py)

    private abstract record Layer;

    /// <summary><c>nn.Conv2d(n_in, n_out, k, stride, padding=k // 2, bias)</c>; taesd's <c>conv</c> is the 3×3 one.</summary>
    private sealed record Conv(long In, long Out, long Stride = 1, bool Bias = true) : Layer;

    private sealed record Relu : Layer;

    /// <summary><c>Block(n_in, n_out)</c>: relu(conv(x) + skip(x)), conv = conv, ReLU, conv, ReLU, conv; skip = 1×1 conv
    /// without bias when the widths differ, else identity.</summary>
    private sealed record Block(long In, long Out) : Layer;

    /// <summary><c>nn.Upsample(scale_factor=2)</c>: nearest neighbour.</summary>
    private sealed record Upsample : Layer;

    /// <summary><c>Clamp</c>: tanh(x / 3) · 3.</summary>
    private sealed record Clamp : Layer;

    /// <summary><c>F32Encoder(latent_channels)</c>: two stride-2 convs into 64 channels, three stride-2 stages of three
    /// blocks, a conv into the latent. Each conv's and block's output width comes from <paramref name="width"/> (given the
    /// layer's index and TAESana's own width), so the same layout serves narrower or wider distillations.</summary>
    private static List<Layer> F32Encoder(long latentChannels, Func<int, long, long> width)
    {
        var layers = new List<Layer>();
        long c = ImageChannels;
        void AddConv(long published, long stride = 1, bool bias = true)
        {
            long o = width(layers.Count, published);
            layers.Add(new Conv(c, o, stride, bias));
            c = o;
        }
        void AddBlock()
        {
            long o = width(layers.Count, 64);
            layers.Add(new Block(c, o));
            c = o;
        }
        AddConv(32, stride: 2);
        layers.Add(new Relu());
        AddConv(64, stride: 2);
        layers.Add(new Relu());
        AddBlock();
        for (int stage = 0; stage < 3; stage++)
        {
            AddConv(64, stride: 2, bias: false);
            AddBlock();
            AddBlock();
            AddBlock();
        }
        AddConv(latentChannels);
        return layers;
    }

    /// <summary><c>F32Decoder(latent_channels)</c>: clamp, a conv into 256 channels, then five stages of blocks, each
    /// followed by ×2 upsampling and a bias-free conv (256 → 128 → 64 → 64 → 64 → 64), one last block and a conv to RGB.
    /// Widths come from <paramref name="width"/> as in <see cref="F32Encoder"/>.</summary>
    private static List<Layer> F32Decoder(long latentChannels, Func<int, long, long> width)
    {
        var layers = new List<Layer> { new Clamp() };
        long c = latentChannels;
        void AddConv(long published, bool bias = true)
        {
            long o = width(layers.Count, published);
            layers.Add(new Conv(c, o, Bias: bias));
            c = o;
        }
        void AddBlock(long published)
        {
            long o = width(layers.Count, published);
            layers.Add(new Block(c, o));
            c = o;
        }
        AddConv(256);
        layers.Add(new Relu());
        long[] widths = [256, 128, 64, 64, 64, 64];
        for (int stage = 0; stage < 5; stage++)
        {
            AddBlock(widths[stage]);
            AddBlock(widths[stage]);
            AddBlock(widths[stage]);
            layers.Add(new Upsample());
            AddConv(widths[stage + 1], bias: false);
        }
        AddBlock(widths[5]);
        AddConv(ImageChannels);
        return layers;
    }

    private static List<Layer> Layers(TinyAutoencoderPart part, long latentChannels, Func<int, long, long> width) =>
        part == TinyAutoencoderPart.Encoder ? F32Encoder(latentChannels, width) : F32Decoder(latentChannels, width);

    /// <summary>
    /// The layers of a part with the widths of the weights <paramref name="shapeOf"/> describes: a layer's output width is
    /// dim 0 of its (first) conv weight, the latent channel count is read from <see cref="LatentChannelsKey"/>. The layer
    /// order (and so every key and the 32× compression) is taesd's; only the channel counts vary.
    /// </summary>
    /// <param name="part">Encoder or decoder.</param>
    /// <param name="shapeOf">The shape of a key; throws <see cref="CheckpointException"/> for a missing one.</param>
    /// <param name="source">The file named in errors.</param>
    /// <exception cref="CheckpointException">A weight that gives a width is missing or is not a 4-D conv weight.</exception>
    private static List<Layer> LayersOf(TinyAutoencoderPart part, Func<string, long[]> shapeOf, string source)
    {
        long Dim(string key, int axis)
        {
            var shape = shapeOf(key);
            if (shape.Length != 4)
                throw new CheckpointException(source, key,
                    $"has shape {SafetensorsTensorInfo.FormatShape(shape)}; expected a 4-D conv weight (is this the {part.ToString().ToLowerInvariant()}?).");
            return shape[axis];
        }
        var (latentKey, latentAxis) = LatentChannelsKey(part);
        long latentChannels = Dim(latentKey, latentAxis);
        // The final conv's width is fixed (latent channels or RGB); the parameter check compares it with the weights.
        int last = Layers(part, latentChannels, (_, w) => w).Count - 1;
        return Layers(part, latentChannels, (i, published) =>
            i == last ? published : Dim(IsBlockIndex(part, i) ? $"{i}.conv.0.weight" : $"{i}.weight", 0));
    }

    private static readonly HashSet<int> EncoderBlockIndices = BlockIndices(TinyAutoencoderPart.Encoder);
    private static readonly HashSet<int> DecoderBlockIndices = BlockIndices(TinyAutoencoderPart.Decoder);

    private static HashSet<int> BlockIndices(TinyAutoencoderPart part) =>
        Layers(part, DefaultLatentChannels, (_, w) => w).Select((l, i) => (l, i)).Where(x => x.l is Block).Select(x => x.i).ToHashSet();

    private static bool IsBlockIndex(TinyAutoencoderPart part, int index) =>
        (part == TinyAutoencoderPart.Encoder ? EncoderBlockIndices : DecoderBlockIndices).Contains(index);

    /// <summary>Every parameter of a part with TAESana's widths, in module order (what a published checkpoint holds, nothing more).</summary>
    public static IReadOnlyList<TinyAutoencoderParameter> Parameters(TinyAutoencoderPart part, long latentChannels = DefaultLatentChannels) =>
        ParametersOf(Layers(part, latentChannels, (_, w) => w));

    /// <summary>Every parameter of a part in module order, with the widths given per layer.</summary>
    /// <param name="part">Encoder or decoder.</param>
    /// <param name="latentChannels">Latent channels.</param>
    /// <param name="width">A layer's output width, given its index in the <c>nn.Sequential</c> and TAESana's width there
    /// (the last conv's width is the latent channel count or 3 whatever this returns).</param>
    public static IReadOnlyList<TinyAutoencoderParameter> Parameters(TinyAutoencoderPart part, long latentChannels, Func<int, long, long> width)
    {
        ArgumentNullException.ThrowIfNull(width);
        int last = Layers(part, latentChannels, (_, w) => w).Count - 1;
        return ParametersOf(Layers(part, latentChannels, (i, w) => i == last ? w : width(i, w)));
    }

    /// <summary>The parameters a checkpoint must hold given the widths its own weights declare (see <see cref="LayersOf"/>).</summary>
    /// <exception cref="CheckpointException">A width-giving weight is missing or not a conv weight.</exception>
    internal static IReadOnlyList<TinyAutoencoderParameter> ParametersFromShapes(TinyAutoencoderPart part, Func<string, long[]> shapeOf, string source) =>
        ParametersOf(LayersOf(part, shapeOf, source));

    private static List<TinyAutoencoderParameter> ParametersOf(List<Layer> layers)
    {
        var result = new List<TinyAutoencoderParameter>();
        void AddConv(string path, Conv c, long k = 3)
        {
            result.Add(new($"{path}.weight", [c.Out, c.In, k, k]));
            if (c.Bias) result.Add(new($"{path}.bias", [c.Out]));
        }
        for (int i = 0; i < layers.Count; i++)
        {
            switch (layers[i])
            {
                case Conv c: AddConv($"{i}", c); break;
                case Block b:
                    AddConv($"{i}.conv.0", new Conv(b.In, b.Out));
                    AddConv($"{i}.conv.2", new Conv(b.Out, b.Out));
                    AddConv($"{i}.conv.4", new Conv(b.Out, b.Out));
                    if (b.In != b.Out) AddConv($"{i}.skip", new Conv(b.In, b.Out, Bias: false), k: 1);
                    break;
            }
        }
        return result;
    }

    /// <summary>The key whose shape gives the latent channel count: the encoder's last conv, the decoder's first.</summary>
    internal static (string Key, int Axis) LatentChannelsKey(TinyAutoencoderPart part) =>
        part == TinyAutoencoderPart.Encoder ? ($"{F32Encoder(DefaultLatentChannels, (_, w) => w).Count - 1}.weight", 0) : ("1.weight", 1);

    // ================================================================== graph

    private readonly GraphBuilder g;

    private TinyAutoencoder(GraphBuilder builder) => g = builder;

    /// <summary>Builds the encoder or decoder graph with dynamic batch and spatial dimensions.</summary>
    /// <param name="part">Encoder or decoder.</param>
    /// <param name="weights">The part's weights (keys as in taesd's state dict).</param>
    /// <param name="precision">Compute precision; inputs and outputs stay float32.</param>
    /// <returns>The finished graph, ready for <see cref="OnnxModelWriter.Save"/>.</returns>
    /// <exception cref="CheckpointException">A tensor is missing, mis-shaped, of an unsupported dtype, or unexpected.</exception>
    public static GraphBuilder Build(TinyAutoencoderPart part, SafetensorsCheckpoint weights, GraphPrecision precision = GraphPrecision.Fp32)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var layers = LayersOf(part, key => weights.GetInfo(key).Shape, weights.Path);
        var (key, axis) = LatentChannelsKey(part);
        long latentChannels = weights.GetInfo(key).Shape[axis];

        var builder = new GraphBuilder($"{ClassName}.{part.ToString().ToLowerInvariant()}", precision, weights);
        var model = new TinyAutoencoder(builder);
        model.BuildGraph(part, latentChannels, layers);
        weights.EnsureAllUsed();
        return builder;
    }

    /// <summary>
    /// Builds a standalone graph of one part from a TAESana checkpoint (a folder with <c>taesana_encoder</c> /
    /// <c>taesana_decoder</c> weights, or one part's file) and writes it to <paramref name="outputPath"/> with every weight
    /// in <c>{outputPath}.data</c> (float16 weights upcast exactly for fp32 graphs).
    /// </summary>
    /// <param name="checkpoint">The folder or file.</param>
    /// <param name="outputPath">The <c>.onnx</c> file.</param>
    /// <param name="options"><c>Part</c> (<c>encoder</c>/<c>decoder</c>; read from the file name when a file is given) and
    /// <c>Precision</c>; other options do not apply.</param>
    /// <param name="progress">Receives weight-writing progress.</param>
    /// <param name="cancellationToken">Cancels between tensors.</param>
    /// <exception cref="CheckpointException">Missing or malformed weights.</exception>
    /// <exception cref="ArgumentException">No part, or options that do not apply.</exception>
    public static SavedModel Export(string checkpoint, string outputPath, ModelBuildOptions options,
        IProgress<GraphBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(options);
        var part = PartOf(checkpoint, options);
        using var weights = TinyAutoencoderCheckpoint.Open(checkpoint, part);
        var graph = Build(part, weights.Weights, options.Precision);
        var metadata = new Dictionary<string, string>
        {
            ["sanasprint.class_name"] = ClassName,
            ["sanasprint.options"] = (options with { Part = part.ToString().ToLowerInvariant() }).CacheText,
            ["sanasprint.source"] = Path.GetFileName(weights.SourcePath),
        };
        return OnnxModelWriter.Save(graph, outputPath, WeightStorage.SingleFile, progress, metadata, cancellationToken);
    }

    /// <summary>
    /// Returns the cached graph of one part, building it on first use (weights copied into the cache, float16 upcast for
    /// fp32 graphs); the cache key covers the weights file and the precision.
    /// </summary>
    /// <param name="checkpoint">A TAESana folder or one part's weights file.</param>
    /// <param name="part">Encoder or decoder.</param>
    /// <param name="cache">The graph cache.</param>
    /// <param name="precision">Compute precision.</param>
    /// <exception cref="CheckpointException">Missing or malformed weights.</exception>
    public static CachedGraph BuildCached(string checkpoint, TinyAutoencoderPart part, GraphCache cache, GraphPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(cache);
        string file = TinyAutoencoderCheckpoint.FindWeights(checkpoint, part);
        var options = new ModelBuildOptions { Precision = precision, Part = part.ToString().ToLowerInvariant() };
        return cache.GetOrBuild($"{ClassName}-{options.Part}", [file], options.CacheText, modelPath =>
        {
            using var weights = TinyAutoencoderCheckpoint.Open(file, part);
            var graph = Build(part, weights.Weights, precision);
            OnnxModelWriter.Save(graph, modelPath, WeightStorage.SingleFile, null, new Dictionary<string, string>
            {
                ["sanasprint.class_name"] = ClassName,
                ["sanasprint.options"] = options.CacheText,
                ["sanasprint.source"] = Path.GetFileName(file),
            });
        });
    }

    /// <summary>The part <paramref name="options"/> asks for, or the one a weights file's name gives.</summary>
    /// <exception cref="ArgumentException">No part, a part that contradicts the file name, or options that do not apply.</exception>
    public static TinyAutoencoderPart PartOf(string checkpoint, ModelBuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ControlBlocks != 0 || options.BaseTransformerDirectory is not null)
            throw new ArgumentException($"`control_blocks` and `base_transformer` do not apply to {ClassName}.", nameof(options));
        TinyAutoencoderPart? named = File.Exists(checkpoint) ? TinyAutoencoderCheckpoint.PartOfName(checkpoint) : null;
        TinyAutoencoderPart? asked = options.Part switch
        {
            null => null,
            "encoder" => TinyAutoencoderPart.Encoder,
            "decoder" => TinyAutoencoderPart.Decoder,
            _ => throw new ArgumentException($"`part` must be encoder or decoder but is '{options.Part}'.", nameof(options)),
        };
        if (asked is not null && named is not null && asked != named)
            throw new ArgumentException($"`part` is {options.Part} but {Path.GetFileName(checkpoint)} holds the {named.ToString()!.ToLowerInvariant()}.", nameof(options));
        return asked ?? named ?? throw new ArgumentException($"{ClassName} needs `part` encoder or decoder.", nameof(options));
    }

    /// <summary><c>nn.Sequential.forward</c> over <see cref="F32Encoder"/> or <see cref="F32Decoder"/>.</summary>
    private void BuildGraph(TinyAutoencoderPart part, long latentChannels, List<Layer> layers)
    {
        bool encoder = part == TinyAutoencoderPart.Encoder;
        // 1. Input: images [B, 3, H, W] in [0, 1], or DC-AE latents [B, C, h, w]
        var x = encoder
            ? g.Input(InputName(part), DT.Float, "batch", (long)ImageChannels, "height", "width")
            : g.Input(InputName(part), DT.Float, "batch", latentChannels, "latent_height", "latent_width");
        var h = g.CastIfNeeded("input", x, g.ComputeType);

        // 2. The layers, each named by its index in the Sequential
        for (int i = 0; i < layers.Count; i++)
        {
            string p = $"{i}";
            h = layers[i] switch
            {
                Conv c => Conv2d(p, h, c),
                Relu => g.Relu(p, h),
                Block b => BlockForward(p, h, b),
                Upsample => g.Resize(p, h, [1, 1, 2, 2]),
                Clamp => g.Mul(p, g.Tanh(p, g.Div(p, ScaleInput(h), g.ScalarLike(h, 3))), g.ScalarLike(h, 3)),
                _ => throw new InvalidOperationException($"Unknown layer {layers[i]}."),
            };
        }

        // 3. Output: DC-AE latents, or images (not clamped)
        h = g.CastIfNeeded("output", h, DT.Float);
        if (encoder) g.Output(h, OutputName(part), "batch", latentChannels, "latent_height", "latent_width");
        else g.Output(h, OutputName(part), "batch", (long)ImageChannels, "height", "width");
    }

    /// <summary>The decoder input times <see cref="LatentScaleKey"/> when the checkpoint has it.</summary>
    private GraphValue ScaleInput(GraphValue h) =>
        g.Checkpoint!.Contains(LatentScaleKey) ? g.Mul(LatentScaleKey, h, g.Weight(LatentScaleKey, [1], "the decoder's input scale")) : h;

    /// <summary>taesd <c>Block.forward</c>: fuse(conv(x) + skip(x)).</summary>
    private GraphValue BlockForward(string path, GraphValue x, Block b)
    {
        var h = Conv2d($"{path}.conv.0", x, new Conv(b.In, b.Out));
        h = g.Relu($"{path}.conv.1", h);
        h = Conv2d($"{path}.conv.2", h, new Conv(b.Out, b.Out));
        h = g.Relu($"{path}.conv.3", h);
        h = Conv2d($"{path}.conv.4", h, new Conv(b.Out, b.Out));
        var skip = b.In == b.Out ? x : Conv2d($"{path}.skip", x, new Conv(b.In, b.Out, Bias: false), kernel: 1);
        return g.Relu($"{path}.fuse", g.Add(path, h, skip));
    }

    private GraphValue Conv2d(string path, GraphValue x, Conv c, long kernel = 3)
    {
        var w = g.Weight($"{path}.weight", [c.Out, c.In, kernel, kernel], $"Conv2d({c.In}, {c.Out}, {kernel})");
        var bias = c.Bias ? g.Weight($"{path}.bias", [c.Out], $"Conv2d({c.In}, {c.Out}, {kernel})") : null;
        long pad = kernel / 2;
        return g.Conv(path, x, w, bias, [kernel, kernel], strides: c.Stride == 1 ? null : [c.Stride, c.Stride],
            pads: pad == 0 ? null : [pad, pad, pad, pad]);
    }
}
