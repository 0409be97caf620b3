using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Sampling;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Pipeline;


/// <summary>
/// Resolves the configured checkpoint (or the default one, see <see cref="IDefaultCheckpoint"/>), chooses the execution
/// provider, builds or reuses the cached graphs and opens one resident session per component. The default checkpoint
/// goes through exactly the same code as a configured one.
/// </summary>
public static partial class SanaSprintLoader
{
    /// <summary>Loads the model named by <paramref name="options"/>, or <paramref name="defaultCheckpoint"/> when no path is set.</summary>
    /// <param name="options">Checkpoint paths and runtime settings.</param>
    /// <param name="loggerFactory">Logger factory.</param>
    /// <param name="defaultCheckpoint">The checkpoint used when <see cref="InferenceOptions.CheckpointPath"/> is not set (the embedded demo); null for none.</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="GeneratorUnavailableException">No checkpoint is configured, or it is missing, incomplete or corrupt (the message names the file).</exception>
    /// <exception cref="ExecutionProviderUnavailableException"><c>Inference:Device = cuda</c> and CUDA cannot run (the message says why).</exception>
    public static LoadedModel Load(InferenceOptions options, ILoggerFactory loggerFactory, IDefaultCheckpoint? defaultCheckpoint = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger(typeof(SanaSprintLoader));
        string cache = options.ResolveCacheDirectory();
        string pipelineDir;
        string? controlNetDir = options.ControlNetPath;
        string? defaultPreview = null;
        var fallback = string.IsNullOrWhiteSpace(options.CheckpointPath) ? defaultCheckpoint : null;
        if (fallback is not null)
        {
            var started = Stopwatch.GetTimestamp();
            var paths = fallback.EnsureCreated(cache);
            pipelineDir = paths.PipelineDirectory;
            controlNetDir ??= paths.ControlNetDirectory;
            defaultPreview = paths.PreviewAutoencoderDirectory;
            Log.DefaultCheckpointReady(logger, pipelineDir, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        else if (string.IsNullOrWhiteSpace(options.CheckpointPath))
        {
            throw new GeneratorUnavailableException(
                "No checkpoint is configured: set Inference:CheckpointPath (or --checkpoint) to a SANA-Sprint diffusers folder, or register the demo checkpoint (AddSanaSprintDemo).");
        }
        else
        {
            pipelineDir = Path.GetFullPath(options.CheckpointPath!);
        }

        try
        {
            var provider = ExecutionProviders.Select(options, logger);
            ISanaSprintComponents components;
            try
            {
                components = LoadComponents(pipelineDir, controlNetDir, options, provider, cache, loggerFactory, fallback?.ModelName);
            }
            catch (ExecutionProviderUnavailableException ex) when (provider.Requested == "auto")
            {
                // The probe passed but a model session did not (e.g. out of memory): auto falls back as it would at the probe.
                provider = ExecutionProviders.FallBackToCpu(provider.Requested, ex.Failure, logger);
                components = LoadComponents(pipelineDir, controlNetDir, options, provider, cache, loggerFactory, fallback?.ModelName);
            }

            try
            {
                components = PreviewAutoencoderComponents.Attach(components, options, provider, cache, loggerFactory, defaultPreview);
            }
            catch
            {
                components.Dispose();
                throw;
            }

            return new LoadedModel(components, fallback) { ProviderNote = provider.Note };
        }
        catch (Exception ex) when (ex is CheckpointException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException or IOException)
        {
            throw new GeneratorUnavailableException($"The checkpoint at '{pipelineDir}' could not be loaded: {ex.Message}", ex);
        }
    }

    /// <summary>Loads the components of a pipeline folder (and optional ControlNet folder).</summary>
    /// <param name="pipelineDirectory">Folder with <c>model_index.json</c>.</param>
    /// <param name="controlNetDirectory">Sana ControlNet folder, or null.</param>
    /// <param name="options">Precision and thread settings.</param>
    /// <param name="provider">The chosen execution provider.</param>
    /// <param name="cacheDirectory">Where graphs are cached.</param>
    /// <param name="loggerFactory">Logger factory.</param>
    /// <param name="modelName">Display name (defaults to the folder name).</param>
    /// <returns>The components.</returns>
    /// <exception cref="CheckpointException">A component is missing or malformed (the message names the file).</exception>
    public static OnnxSanaSprintComponents LoadComponents(string pipelineDirectory, string? controlNetDirectory, InferenceOptions options,
        ExecutionProviderChoice provider, string cacheDirectory, ILoggerFactory loggerFactory, string? modelName = null) =>
        LoadComponents(pipelineDirectory, controlNetDirectory, options, new OnnxSessionFactory(provider, options, loggerFactory), cacheDirectory, loggerFactory, modelName);

    /// <summary>Loads the components with the sessions of <paramref name="sessions"/> (tests: a stand-in device that counts transfers).</summary>
    internal static OnnxSanaSprintComponents LoadComponents(string pipelineDirectory, string? controlNetDirectory, InferenceOptions options,
        OnnxSessionFactory sessions, string cacheDirectory, ILoggerFactory loggerFactory, string? modelName = null)
    {
        var provider = sessions.Provider;
        var logger = loggerFactory.CreateLogger(typeof(SanaSprintLoader));
        var folder = DiffusersFolder.Open(pipelineDirectory);
        var precision = ResolvePrecision(options.Precision, provider.Kind);
        if (precision == GraphPrecision.Fp32 && string.Equals(options.Precision, "fp16", StringComparison.OrdinalIgnoreCase))
            Log.Fp16RunsAsFp32(logger, provider.DisplayName);
        var graphs = new GraphCache(cacheDirectory);
        var opened = new List<IDisposable>();
        try
        {
            // Configs first: a wrong folder fails fast, before any graph is built. The catalog says what each class is.
            var transformerModel = ModelCatalog.Describe(folder.ComponentConfig("transformer"), ModelRole.Denoiser);
            var vaeModel = ModelCatalog.Describe(folder.ComponentConfig("vae"), ModelRole.Autoencoder);
            var controlModel = controlNetDirectory is null ? null : ModelCatalog.Describe(ComponentConfig.Load(controlNetDirectory), ModelRole.ControlNet);
            var scheduler = folder.HasComponent("scheduler")
                ? ScmSchedulerConfig.Load(Path.Combine(folder.ComponentPath("scheduler"), "scheduler_config.json"))
                : new ScmSchedulerConfig();

            OnnxComponentSession Open(string component, string directory, ModelBuildOptions buildOptions)
            {
                var started = Stopwatch.GetTimestamp();
                var graph = ModelCatalog.BuildCached(directory, graphs, buildOptions);
                var session = sessions.Create(component, graph.ModelPath);
                opened.Add(session);
                Log.ComponentLoaded(logger, component, graph.FromCache ? "cached graph" : "built graph", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return session;
            }

            // 1. Transformer (with ControlNet residual inputs when a ControlNet is configured).
            int controlBlocks = controlModel?.ControlBlocks ?? 0;
            var transformer = Open("transformer", folder.ComponentPath("transformer"), new ModelBuildOptions { Precision = precision, ControlBlocks = controlBlocks });
            // 2. ControlNet.
            var controlNet = controlNetDirectory is null ? null : Open("controlnet", controlNetDirectory, new ModelBuildOptions { Precision = precision });
            // 3. DC-AE encoder (ControlNet and img2img) and decoder.
            var encoder = Open("vae_encoder", folder.ComponentPath("vae"), new ModelBuildOptions { Precision = precision, Part = "encoder" });
            // The decoder also emits the frame as uint8 RGB, so a frame's image leaves the device as bytes (a quarter of the floats).
            var decoder = Open("vae_decoder", folder.ComponentPath("vae"), new ModelBuildOptions { Precision = precision, Part = "decoder", ImageOutput = true });
            // 4. Prompt encoder: tokenizer + Gemma-2 (Text/PromptEncoder; fp32 weights: no bf16 on CPU and Gemma-2 overflows fp16).
            PromptEncoder? text = null;
            if (folder.HasComponent("text_encoder") && folder.HasComponent("tokenizer") && !string.IsNullOrEmpty(folder.Index.Components["text_encoder"].ClassName))
            {
                var started = Stopwatch.GetTimestamp();
                // The Gemma-2 graph is cached like the others (bf16 weights converted once; later starts only load it).
                text = PromptEncoder.FromPipelineFolder(pipelineDirectory, sessions, graphs, Gemma2GraphOptions.Default);
                opened.Add(text);
                Log.ComponentLoaded(logger, "text_encoder", "graph cache", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            var info = new SanaSprintModelInfo
            {
                ModelName = modelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(pipelineDirectory)),
                LatentChannels = transformerModel.LatentChannels,
                VaeScaleFactor = vaeModel.VaeScaleFactor,
                ScalingFactor = vaeModel.ScalingFactor,
                GuidanceEmbedsScale = transformerModel.GuidanceEmbedsScale,
                CaptionChannels = transformerModel.CaptionChannels,
                HasControlNet = controlNet is not null,
                HasEncoder = true,
                HasTextEncoder = text is not null,
                Scheduler = scheduler,
                Precision = precision == GraphPrecision.Fp16 ? "fp16" : "fp32",
            };
            return new OnnxSanaSprintComponents(info, provider.DisplayName, transformer, controlNet, encoder, decoder, text, controlBlocks, sessions.Transfers);
        }
        catch
        {
            foreach (var d in opened) d.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Graph precision for the configured value and provider: <c>auto</c> is fp16 on CUDA and fp32 on CPU; <c>fp16</c> on
    /// CPU is fp32 too (the CPU execution provider has no fp16 compute), which the load reports in a warning and in
    /// <see cref="GeneratorInfo.Precision"/>.
    /// </summary>
    /// <param name="precision"><c>auto</c>, <c>fp32</c> or <c>fp16</c>.</param>
    /// <param name="provider">The provider.</param>
    /// <returns>The precision.</returns>
    public static GraphPrecision ResolvePrecision(string precision, ExecutionProviderKind provider) => (precision ?? "auto").ToLowerInvariant() switch
    {
        "fp32" => GraphPrecision.Fp32,
        "fp16" => provider == ExecutionProviderKind.Cuda ? GraphPrecision.Fp16 : GraphPrecision.Fp32, // CPU has no fp16 compute
        _ => provider == ExecutionProviderKind.Cuda ? GraphPrecision.Fp16 : GraphPrecision.Fp32,
    };

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "No checkpoint configured; the default checkpoint is ready at '{Path}' ({Milliseconds:F0} ms)", EventName = "DemoCheckpointReady")]
        public static partial void DefaultCheckpointReady(ILogger logger, string path, double milliseconds);

        [LoggerMessage(2, LogLevel.Information, "Component '{Component}' loaded ({Source}) in {Milliseconds:F0} ms", EventName = "ComponentLoaded")]
        public static partial void ComponentLoaded(ILogger logger, string component, string source, double milliseconds);

        [LoggerMessage(3, LogLevel.Warning, "Precision 'fp16' was requested, but the {Provider} execution provider has no fp16 compute: the graphs run in fp32", EventName = "Fp16RunsAsFp32")]
        public static partial void Fp16RunsAsFp32(ILogger logger, string provider);
    }
}
