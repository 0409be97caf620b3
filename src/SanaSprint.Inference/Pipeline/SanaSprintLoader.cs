using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Sampling;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Pipeline;

/// <summary>A loaded model and whether it is the embedded demo.</summary>
/// <param name="Components">The resident components.</param>
/// <param name="IsDemo">True for the generated demo checkpoint.</param>
public sealed record LoadedModel(ISanaSprintComponents Components, bool IsDemo);

/// <summary>
/// Resolves the configured checkpoint (or generates the demo checkpoint), chooses the execution provider, builds or
/// reuses the cached graphs and opens one resident session per component. The demo checkpoint goes through exactly
/// the same code as a real one.
/// </summary>
public static partial class SanaSprintLoader
{
    /// <summary>Loads the model named by <paramref name="options"/>.</summary>
    /// <param name="options">Checkpoint paths and runtime settings.</param>
    /// <param name="loggerFactory">Logger factory.</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="GeneratorUnavailableException">The checkpoint is missing, incomplete or corrupt (the message names the file).</exception>
    public static LoadedModel Load(InferenceOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var logger = loggerFactory.CreateLogger(typeof(SanaSprintLoader));
        string cache = options.ResolveCacheDirectory();
        string pipelineDir;
        string? controlNetDir = options.ControlNetPath;
        bool demo = string.IsNullOrWhiteSpace(options.CheckpointPath);
        if (demo)
        {
            var started = Stopwatch.GetTimestamp();
            var paths = DemoCheckpoint.EnsureCreated(cache);
            pipelineDir = paths.PipelineDirectory;
            controlNetDir ??= paths.ControlNetDirectory;
            Log.DemoReady(logger, pipelineDir, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        else
        {
            pipelineDir = Path.GetFullPath(options.CheckpointPath!);
        }

        try
        {
            var provider = ExecutionProviders.Select(options, logger);
            ISanaSprintComponents components = LoadComponents(pipelineDir, controlNetDir, options, provider, cache, loggerFactory, demo ? DemoCheckpoint.ModelName : null);
            try
            {
                components = PreviewAutoencoderComponents.Attach(components, options, provider, cache, loggerFactory);
            }
            catch
            {
                components.Dispose();
                throw;
            }
            return new LoadedModel(components, demo);
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
        ExecutionProviderChoice provider, string cacheDirectory, ILoggerFactory loggerFactory, string? modelName = null)
    {
        var logger = loggerFactory.CreateLogger(typeof(SanaSprintLoader));
        var folder = DiffusersFolder.Open(pipelineDirectory);
        var precision = ResolvePrecision(options.Precision, provider.Kind);
        var graphs = new GraphCache(cacheDirectory);
        var sessions = new OnnxSessionFactory(provider, options, loggerFactory);
        var opened = new List<IDisposable>();
        try
        {
            // Configs first: a wrong folder fails fast, before any graph is built.
            var transformerConfig = folder.ComponentConfig("transformer");
            transformerConfig.ExpectClass("SanaTransformer2DModel");
            var tc = transformerConfig.Deserialize<SanaTransformer2DConfig>();
            var vaeConfig = folder.ComponentConfig("vae");
            vaeConfig.ExpectClass("AutoencoderDC");
            var vc = vaeConfig.Deserialize<AutoencoderDCConfig>();
            var scheduler = folder.HasComponent("scheduler")
                ? ScmSchedulerConfig.Load(Path.Combine(folder.ComponentPath("scheduler"), "scheduler_config.json"))
                : new ScmSchedulerConfig();
            SanaControlNetConfig? cc = null;
            if (controlNetDirectory is not null)
            {
                var controlConfig = ComponentConfig.Load(controlNetDirectory);
                controlConfig.ExpectClass("SanaControlNetModel");
                cc = controlConfig.Deserialize<SanaControlNetConfig>();
            }

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
            int controlBlocks = cc?.NumLayers ?? 0;
            var transformer = Open("transformer", folder.ComponentPath("transformer"), new ModelBuildOptions { Precision = precision, ControlBlocks = controlBlocks });
            // 2. ControlNet.
            var controlNet = controlNetDirectory is null ? null : Open("controlnet", controlNetDirectory, new ModelBuildOptions { Precision = precision });
            // 3. DC-AE encoder (ControlNet and img2img) and decoder.
            var encoder = Open("vae_encoder", folder.ComponentPath("vae"), new ModelBuildOptions { Precision = precision, Part = "encoder" });
            var decoder = Open("vae_decoder", folder.ComponentPath("vae"), new ModelBuildOptions { Precision = precision, Part = "decoder" });
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
                LatentChannels = tc.InChannels,
                VaeScaleFactor = AutoencoderDC.SpatialCompression(vc),
                ScalingFactor = (float)vc.ScalingFactor,
                GuidanceEmbedsScale = (float)tc.GuidanceEmbedsScale,
                CaptionChannels = tc.CaptionChannels,
                HasControlNet = controlNet is not null,
                HasEncoder = true,
                HasTextEncoder = text is not null,
                Scheduler = scheduler,
            };
            return new OnnxSanaSprintComponents(info, provider.DisplayName, transformer, controlNet, encoder, decoder, text, controlBlocks);
        }
        catch
        {
            foreach (var d in opened) d.Dispose();
            throw;
        }
    }

    /// <summary>Graph precision for the configured value and provider: <c>auto</c> is fp16 on CUDA and fp32 on CPU.</summary>
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
        [LoggerMessage(1, LogLevel.Information, "Demo checkpoint ready at '{Path}' ({Milliseconds:F0} ms)", EventName = "DemoCheckpointReady")]
        public static partial void DemoReady(ILogger logger, string path, double milliseconds);

        [LoggerMessage(2, LogLevel.Information, "Component '{Component}' loaded ({Source}) in {Milliseconds:F0} ms", EventName = "ComponentLoaded")]
        public static partial void ComponentLoaded(ILogger logger, string component, string source, double milliseconds);
    }
}
