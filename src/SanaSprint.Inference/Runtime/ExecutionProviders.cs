using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace SanaSprint.Inference.Runtime;

/// <summary>Which ONNX Runtime execution provider runs the graphs.</summary>
public enum ExecutionProviderKind
{
    /// <summary>The CPU execution provider (fp32 graphs).</summary>
    Cpu,
    /// <summary>The CUDA execution provider (fp16 graphs with fp32 islands, IOBinding, optional CUDA graphs).</summary>
    Cuda,
}

/// <summary>CUDA execution provider settings; <see cref="ToProviderOptions"/> gives ONNX Runtime's string keys.</summary>
/// <remarks>Keys and defaults: onnxruntime <c>cuda_provider_options.h</c> / <c>CUDA-ExecutionProvider.md</c>.</remarks>
public sealed record CudaProviderSettings
{
    /// <summary>CUDA device ordinal.</summary>
    public int DeviceId { get; init; }

    /// <summary>TF32 for fp32 MatMul/Conv; off for parity runs.</summary>
    public bool UseTf32 { get; init; } = true;

    /// <summary>Capture CUDA graphs (requires IOBinding with fixed device addresses and shapes per graph id).</summary>
    public bool EnableCudaGraph { get; init; }

    /// <summary>Arena limit in bytes; null = unlimited.</summary>
    public long? GpuMemLimitBytes { get; init; }

    /// <summary>cuDNN convolution algorithm search: EXHAUSTIVE benchmarks each shape once, which suits fixed resolutions.</summary>
    public string CudnnConvAlgoSearch { get; init; } = "EXHAUSTIVE";

    /// <summary>NHWC layout for convolutions (helps the DC-AE decoder on tensor cores).</summary>
    public bool PreferNhwc { get; init; }

    /// <summary>The provider options as ONNX Runtime string keys.</summary>
    /// <returns>Key → value.</returns>
    public Dictionary<string, string> ToProviderOptions()
    {
        var o = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = DeviceId.ToString(CultureInfo.InvariantCulture),
            ["arena_extend_strategy"] = "kSameAsRequested",
            ["cudnn_conv_algo_search"] = CudnnConvAlgoSearch,
            ["cudnn_conv_use_max_workspace"] = "1",
            ["do_copy_in_default_stream"] = "1",
            ["use_tf32"] = UseTf32 ? "1" : "0",
            ["enable_cuda_graph"] = EnableCudaGraph ? "1" : "0",
            ["prefer_nhwc"] = PreferNhwc ? "1" : "0",
        };
        if (GpuMemLimitBytes is { } limit) o["gpu_mem_limit"] = limit.ToString(CultureInfo.InvariantCulture);
        return o;
    }

    /// <summary>Settings from <see cref="InferenceOptions"/>.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The settings.</returns>
    public static CudaProviderSettings From(InferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CudaProviderSettings
        {
            DeviceId = options.DeviceId,
            UseTf32 = options.UseTf32,
            EnableCudaGraph = options.EnableCudaGraph,
            GpuMemLimitBytes = options.GpuMemoryLimitMiB > 0 ? options.GpuMemoryLimitMiB * 1024L * 1024L : null,
        };
    }
}

/// <summary>The provider that was chosen, and why.</summary>
/// <param name="Kind">The provider that runs the graphs.</param>
/// <param name="Requested">The configured value (<c>auto</c>, <c>cuda</c> or <c>cpu</c>).</param>
/// <param name="Reason">One sentence: why this provider runs.</param>
/// <param name="Cuda">CUDA settings when <paramref name="Kind"/> is CUDA.</param>
public sealed record ExecutionProviderChoice(ExecutionProviderKind Kind, string Requested, string Reason, CudaProviderSettings? Cuda)
{
    /// <summary>Display name: "CPU" or "CUDA".</summary>
    public string DisplayName => Kind == ExecutionProviderKind.Cuda ? "CUDA" : "CPU";

    /// <summary>Why CUDA could not run when <c>auto</c> fell back to CPU; null otherwise.</summary>
    public ProviderFailure? Fallback { get; init; }

    /// <summary>A sentence for the UI when <see cref="Fallback"/> is set: that CUDA is unavailable, and why.</summary>
    public string? Note => Fallback is null ? null : $"CUDA is unavailable, running on CPU: {Fallback}";
}

/// <summary>
/// Chooses the execution provider from configuration (<c>auto|cuda|cpu</c>). For <c>auto</c> and <c>cuda</c> it runs
/// <see cref="ProviderProbe"/> on CUDA: the provider library is loaded, a session created and a tiny fp16 Conv + MatMul
/// run through the same binding path as the models. When that fails, the error is classified
/// (<see cref="ProviderDiagnosis"/>: which library is missing and where it was looked for, a driver that is too old, no
/// device, a bad device id, cuDNN); <c>auto</c> falls back to CPU with that reason (a warning, and
/// <see cref="ExecutionProviderChoice.Note"/> for the UI), and <c>cuda</c> throws
/// <see cref="ExecutionProviderUnavailableException"/> with it. One information line says which provider runs and why.
/// </summary>
public static partial class ExecutionProviders
{
    /// <summary>Appends the CUDA provider with the given settings (the real ONNX Runtime call).</summary>
    public static readonly Action<SessionOptions, CudaProviderSettings> AppendCuda = static (so, settings) =>
    {
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(settings.ToProviderOptions());
        so.AppendExecutionProvider_CUDA(cuda);
    };

    /// <summary>Parses the configured device string.</summary>
    /// <param name="device"><c>auto</c>, <c>cuda</c> or <c>cpu</c> (case-insensitive).</param>
    /// <returns>The normalised value.</returns>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static string Normalize(string? device)
    {
        string d = (device ?? "auto").Trim().ToLowerInvariant();
        return d is "auto" or "cuda" or "cpu" ? d : throw new ArgumentException($"`Inference:Device` must be auto, cuda or cpu but is '{device}'.", nameof(device));
    }

    /// <summary>Chooses the provider (probing CUDA unless the device is <c>cpu</c>) and logs the choice.</summary>
    /// <param name="options">Device, device id and CUDA switches.</param>
    /// <param name="logger">Receives one line naming the provider and the reason, and a warning when <c>auto</c> falls back.</param>
    /// <param name="runtime">The seam to the machine (defaults to <see cref="SystemProviderRuntime"/>).</param>
    /// <returns>The choice.</returns>
    /// <exception cref="ExecutionProviderUnavailableException"><c>Inference:Device = cuda</c> and the CUDA probe failed.</exception>
    public static ExecutionProviderChoice Select(InferenceOptions options, ILogger logger, IProviderRuntime? runtime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        runtime ??= SystemProviderRuntime.Instance;
        string requested = Normalize(options.Device);
        ExecutionProviderChoice choice;
        if (requested == "cpu")
        {
            choice = new(ExecutionProviderKind.Cpu, requested, "configured Inference:Device = cpu", null);
        }
        else
        {
            var settings = CudaProviderSettings.From(options);
            if (settings.EnableCudaGraph)
            {
                // Graph replay needs inputs refreshed in place at fixed device addresses; the binding path copies at bind time.
                Log.CudaGraphsNotSupported(logger);
                settings = settings with { EnableCudaGraph = false };
            }

            var probe = ProviderProbe.Run(ExecutionProviderKind.Cuda, settings, runtime);
            if (probe.Failure is { } failure)
            {
                if (requested == "cuda")
                {
                    Log.CudaRequiredButUnavailable(logger, failure.ToString());
                    throw new ExecutionProviderUnavailableException(failure);
                }

                return FallBackToCpu(requested, failure, logger);
            }

            choice = new(ExecutionProviderKind.Cuda, requested,
                $"the CUDA probe (fp16 Conv + MatMul) ran on device {settings.DeviceId} in {probe.Elapsed.TotalMilliseconds:F0} ms", settings);
        }

        Log.ProviderChosen(logger, choice.DisplayName, choice.Requested, choice.Reason);
        return choice;
    }

    /// <summary>The CPU choice for <c>auto</c> when CUDA failed (at the probe or later, creating a model session).</summary>
    /// <param name="requested">The configured device.</param>
    /// <param name="failure">Why CUDA cannot run.</param>
    /// <param name="logger">Receives the warning and the choice.</param>
    /// <returns>The CPU choice with <see cref="ExecutionProviderChoice.Fallback"/> set.</returns>
    public static ExecutionProviderChoice FallBackToCpu(string requested, ProviderFailure failure, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(logger);
        Log.CudaUnavailable(logger, failure.ToString());
        var choice = new ExecutionProviderChoice(ExecutionProviderKind.Cpu, requested, $"CUDA is unavailable: {failure.Summary}", null) { Fallback = failure };
        Log.ProviderChosen(logger, choice.DisplayName, choice.Requested, choice.Reason);
        return choice;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "ONNX Runtime execution provider: {Provider} (Inference:Device = {Requested}): {Reason}", EventName = "ExecutionProviderChosen")]
        public static partial void ProviderChosen(ILogger logger, string provider, string requested, string reason);

        [LoggerMessage(2, LogLevel.Error, "Inference:Device = cuda but CUDA cannot run: {Failure}", EventName = "CudaRequestedButUnavailable")]
        public static partial void CudaRequiredButUnavailable(ILogger logger, string failure);

        [LoggerMessage(3, LogLevel.Warning, "CUDA is unavailable, falling back to CPU: {Failure}", EventName = "CudaUnavailable")]
        public static partial void CudaUnavailable(ILogger logger, string failure);

        [LoggerMessage(4, LogLevel.Warning, "Inference:EnableCudaGraph is ignored: CUDA-graph replay needs inputs refreshed in place at fixed device addresses, which the binding path does not do yet", EventName = "CudaGraphsNotSupported")]
        public static partial void CudaGraphsNotSupported(ILogger logger);
    }
}
