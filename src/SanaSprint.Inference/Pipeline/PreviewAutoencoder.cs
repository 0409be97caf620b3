using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Pipeline;

/// <summary>Which autoencoder turns a frame's latents into pixels (and, in ControlNet mode, its sketch into latents).</summary>
public enum FrameDecoder
{
    /// <summary>The checkpoint's DC-AE: the full-quality picture (refinement frames, downloads, kept results).</summary>
    Full,

    /// <summary>The tiny preview autoencoder (<see cref="InferenceOptions.PreviewDecoderPath"/>) for live frames, as
    /// StreamDiffusion and other real-time pipelines decode with TAESD; falls back to <see cref="Full"/> when none is
    /// configured.</summary>
    Preview,
}

/// <summary>
/// The tiny autoencoder (TAESana: madebyollin/taesd's <c>F32Encoder</c> / <c>F32Decoder</c>) behind the same calls and
/// conventions as the DC-AE in <see cref="ISanaSprintComponents"/>: <see cref="EncodeImages"/> takes images in [−1, 1]
/// and returns raw latents (before <c>scaling_factor</c>); <see cref="Decode"/> takes latents / <c>scaling_factor</c> and
/// writes images in ≈[−1, 1]. TAESana itself works on images in [0, 1] with latents in the DC-AE's unscaled space, so
/// only the image range is converted.
/// </summary>
public sealed class PreviewAutoencoder : IDisposable
{
    private readonly OnnxComponentSession _encoder;
    private readonly OnnxComponentSession _decoder;

    private PreviewAutoencoder(OnnxComponentSession encoder, OnnxComponentSession decoder, int latentChannels)
    {
        _encoder = encoder;
        _decoder = decoder;
        LatentChannels = latentChannels;
    }

    /// <summary>Latent channels (32 for TAESana).</summary>
    public int LatentChannels { get; }

    /// <summary>Pixels per latent cell.</summary>
    public static int ScaleFactor => TinyAutoencoder.SpatialCompression;

    /// <summary>Time spent inside ONNX Runtime.</summary>
    public TimeSpan RuntimeTime => EncoderTime + DecoderTime;

    /// <summary>Time the encoder has spent inside ONNX Runtime.</summary>
    public TimeSpan EncoderTime => _encoder.OrtTime;

    /// <summary>Time the decoder has spent inside ONNX Runtime.</summary>
    public TimeSpan DecoderTime => _decoder.OrtTime;

    /// <summary>
    /// Builds (or reuses from the graph cache) both graphs of the tiny autoencoder at <paramref name="paths"/> (a folder
    /// with <c>taesana_encoder</c> and <c>taesana_decoder</c> weights, or the two files) and opens their sessions.
    /// </summary>
    /// <exception cref="CheckpointException">Missing or malformed weights.</exception>
    public static PreviewAutoencoder Load(PreviewAutoencoderPaths paths, GraphCache graphs, OnnxSessionFactory sessions, GraphPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(graphs);
        ArgumentNullException.ThrowIfNull(sessions);
        var encoderGraph = TinyAutoencoder.BuildCached(paths.Encoder, TinyAutoencoderPart.Encoder, graphs, precision);
        var decoderGraph = TinyAutoencoder.BuildCached(paths.Decoder, TinyAutoencoderPart.Decoder, graphs, precision);
        var encoder = sessions.Create("preview_encoder", encoderGraph.ModelPath);
        try
        {
            var decoder = sessions.Create("preview_decoder", decoderGraph.ModelPath);
            int channels = (int)(decoder.InputDimensions(decoder.InputNames[0])?[1] ?? TinyAutoencoder.DefaultLatentChannels);
            return new PreviewAutoencoder(encoder, decoder, channels);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Images [B, 3, H, W] in [−1, 1] → raw latents [B, C, H/32, W/32].</summary>
    public float[] EncodeImages(float[] images, int batch, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(images);
        var unit = new float[images.Length];
        for (int i = 0; i < unit.Length; i++) unit[i] = images[i] * 0.5f + 0.5f;
        return _encoder.Run([new HostTensor(_encoder.InputNames[0], unit, [batch, 3, height, width])],
            [[batch, LatentChannels, height / ScaleFactor, width / ScaleFactor]])[0];
    }

    /// <summary>Latents / scaling_factor [B, C, h, w] → images [B, 3, 32·h, 32·w] in ≈[−1, 1], written to <paramref name="destination"/>.</summary>
    public void Decode(float[] latents, int batch, int height, int width, Memory<float> destination)
    {
        _decoder.RunInto([new HostTensor(_decoder.InputNames[0], latents, [batch, LatentChannels, height, width])],
            [[batch, 3, height * ScaleFactor, width * ScaleFactor]], [destination]);
        var d = destination.Span;
        for (int i = 0; i < d.Length; i++) d[i] = d[i] * 2 - 1;
    }

    /// <summary>Closes both sessions.</summary>
    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
    }
}

/// <summary>
/// The loaded components plus a <see cref="PreviewAutoencoder"/>: every call is forwarded to the inner components, and
/// <see cref="RuntimeTime"/> includes the preview sessions' time, so host-overhead accounting stays right.
/// </summary>
/// <param name="inner">The checkpoint's components (owned: disposed with this).</param>
/// <param name="preview">The preview autoencoder (owned).</param>
public sealed partial class PreviewAutoencoderComponents(ISanaSprintComponents inner, PreviewAutoencoder preview) : ISanaSprintComponents
{
    /// <summary>The checkpoint's own components.</summary>
    public ISanaSprintComponents Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The preview autoencoder.</summary>
    public PreviewAutoencoder Preview { get; } = preview ?? throw new ArgumentNullException(nameof(preview));

    /// <summary>
    /// Loads the preview autoencoder named by <see cref="InferenceOptions.PreviewDecoderPath"/> beside
    /// <paramref name="components"/>, or, when the option is not set, the default checkpoint's own one
    /// (<paramref name="defaultPreview"/>); returns <paramref name="components"/> unchanged when there is none or the option
    /// is <see cref="PreviewAutoencoderPaths.None"/>.
    /// </summary>
    /// <exception cref="GeneratorUnavailableException">A bad option value, missing or bad weights, or a latent space that
    /// does not match the checkpoint's DC-AE (the message names the option).</exception>
    public static ISanaSprintComponents Attach(ISanaSprintComponents components, InferenceOptions options, ExecutionProviderChoice provider,
        string cacheDirectory, ILoggerFactory loggerFactory, string? defaultPreview = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(options);
        var paths = string.IsNullOrWhiteSpace(options.PreviewDecoderPath)
            ? defaultPreview is null ? null : PreviewAutoencoderPaths.Folder(defaultPreview)
            : PreviewAutoencoderPaths.Parse(options.PreviewDecoderPath);
        if (paths is null) return components;
        string path = paths.ToString();
        var started = Stopwatch.GetTimestamp();
        PreviewAutoencoder preview;
        try
        {
            preview = PreviewAutoencoder.Load(paths, new GraphCache(cacheDirectory), new OnnxSessionFactory(provider, options, loggerFactory),
                SanaSprintLoader.ResolvePrecision(options.Precision, provider.Kind));
        }
        catch (Exception ex) when (ex is CheckpointException or IOException or UnauthorizedAccessException)
        {
            throw new GeneratorUnavailableException($"The preview autoencoder (`{PreviewAutoencoderPaths.OptionKey}`) could not be loaded: {ex.Message}", ex);
        }
        var info = components.Info;
        if (preview.LatentChannels != info.LatentChannels || PreviewAutoencoder.ScaleFactor != info.VaeScaleFactor)
        {
            preview.Dispose();
            throw new GeneratorUnavailableException(
                $"The preview autoencoder at '{path}' has {preview.LatentChannels} latent channels and {PreviewAutoencoder.ScaleFactor}× compression, but the " +
                $"checkpoint's DC-AE has {info.LatentChannels} and {info.VaeScaleFactor}× (`{PreviewAutoencoderPaths.OptionKey}` must match the checkpoint).");
        }
        Log.Loaded(loggerFactory.CreateLogger<PreviewAutoencoderComponents>(), path, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new PreviewAutoencoderComponents(components, preview);
    }

    /// <inheritdoc />
    public SanaSprintModelInfo Info => Inner.Info;

    /// <inheritdoc />
    public string Provider => Inner.Provider;

    /// <inheritdoc />
    public TimeSpan RuntimeTime => Inner.RuntimeTime + Preview.RuntimeTime;

    /// <inheritdoc />
    public IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts) => Inner.EncodePrompts(prompts);

    /// <inheritdoc />
    public int? CountPromptTokens(string prompt) => Inner.CountPromptTokens(prompt);

    /// <inheritdoc />
    public float[] Transformer(TransformerCall call) => Inner.Transformer(call);

    /// <inheritdoc />
    public IReadOnlyList<float[]> ControlNet(ControlNetCall call) => Inner.ControlNet(call);

    /// <inheritdoc />
    public float[] ControlledTransformer(ControlNetCall call) => Inner.ControlledTransformer(call);

    /// <inheritdoc />
    public float[] EncodeImages(float[] images, int batch, int height, int width) => Inner.EncodeImages(images, batch, height, width);

    /// <inheritdoc />
    public void Decode(float[] latents, int batch, int height, int width, Memory<float> destination) =>
        Inner.Decode(latents, batch, height, width, destination);

    /// <inheritdoc />
    public void DecodeToImage(float[] latents, int batch, int height, int width, Memory<byte> destination) =>
        Inner.DecodeToImage(latents, batch, height, width, destination);

    /// <summary>Disposes the preview and the inner components.</summary>
    public void Dispose()
    {
        Preview.Dispose();
        Inner.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Preview autoencoder '{Path}' loaded in {Milliseconds:F0} ms", EventName = "PreviewAutoencoderLoaded")]
        public static partial void Loaded(ILogger logger, string path, double milliseconds);
    }
}
