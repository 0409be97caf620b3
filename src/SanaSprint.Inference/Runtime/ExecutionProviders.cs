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
/// <remarks>Keys and defaults: onnxruntime <c>cuda_provider_options.h</c> / <c>CUDA-ExecutionProvider.md</c> (see shared spec §1.3).</remarks>
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
}

/// <summary>
/// Chooses the execution provider from configuration (<c>auto|cuda|cpu</c>) by trying to append the CUDA provider to
/// a session options object. On a machine without the CUDA libraries that throws (e.g. <c>libcublasLt.so.13</c> not
/// found); the error is logged and the CPU provider is used. Exactly one information line says which provider runs and why.
/// </summary>
public static partial class ExecutionProviders
{
    /// <summary>Appends the CUDA provider with the given settings (the real ONNX Runtime call; replaceable in tests).</summary>
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

    /// <summary>Chooses the provider and logs the choice.</summary>
    /// <param name="options">Device, device id and CUDA switches.</param>
    /// <param name="logger">Receives one line naming the provider and the reason (and the CUDA error, if any).</param>
    /// <param name="appendCuda">How to append CUDA (defaults to <see cref="AppendCuda"/>).</param>
    /// <returns>The choice.</returns>
    public static ExecutionProviderChoice Select(InferenceOptions options, ILogger logger, Action<SessionOptions, CudaProviderSettings>? appendCuda = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        string requested = Normalize(options.Device);
        ExecutionProviderChoice choice;
        if (requested == "cpu")
        {
            choice = new(ExecutionProviderKind.Cpu, requested, "configured Inference:Device = cpu", null);
        }
        else
        {
            var settings = CudaProviderSettings.From(options);
            try
            {
                using var probe = new SessionOptions();
                (appendCuda ?? AppendCuda)(probe, settings);
                choice = new(ExecutionProviderKind.Cuda, requested, $"the CUDA execution provider loaded on device {settings.DeviceId}", settings);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
            {
                string why = FirstLine(ex.Message);
                if (requested == "cuda") Log.CudaRequestedButUnavailable(logger, why, ex);
                else Log.CudaUnavailable(logger, why);
                choice = new(ExecutionProviderKind.Cpu, requested, $"CUDA is unavailable ({why}); falling back to CPU", null);
            }
        }

        Log.ProviderChosen(logger, choice.DisplayName, choice.Requested, choice.Reason);
        return choice;
    }

    private static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n');
        return (nl >= 0 ? message[..nl] : message).Trim();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "ONNX Runtime execution provider: {Provider} (Inference:Device = {Requested}): {Reason}", EventName = "ExecutionProviderChosen")]
        public static partial void ProviderChosen(ILogger logger, string provider, string requested, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Inference:Device = cuda but the CUDA execution provider could not be loaded: {Error}. Running on CPU instead.", EventName = "CudaRequestedButUnavailable")]
        public static partial void CudaRequestedButUnavailable(ILogger logger, string error, Exception exception);

        [LoggerMessage(3, LogLevel.Debug, "CUDA execution provider not available: {Error}", EventName = "CudaUnavailable")]
        public static partial void CudaUnavailable(ILogger logger, string error);
    }
}
