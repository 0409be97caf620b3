using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace SanaSprint.Inference.Runtime;

/// <summary>
/// Creates the resident ONNX Runtime session of each model component (text encoder, transformer, ControlNet, DC-AE
/// encoder/decoder) on the chosen execution provider, with the project's session settings.
/// </summary>
/// <param name="provider">The provider chosen by <see cref="ExecutionProviders.Select"/>.</param>
/// <param name="options">Thread counts and CUDA switches.</param>
/// <param name="loggerFactory">Logger factory (optional).</param>
public sealed partial class OnnxSessionFactory(ExecutionProviderChoice provider, InferenceOptions options, ILoggerFactory? loggerFactory = null)
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<OnnxSessionFactory>();

    /// <summary>The provider sessions run on.</summary>
    public ExecutionProviderChoice Provider { get; } = provider ?? throw new ArgumentNullException(nameof(provider));

    /// <summary>Host↔device bytes moved by the sessions this factory creates (counted where they run through a binding).</summary>
    public HostDeviceTransfers Transfers { get; } = new();

    /// <summary>
    /// On the CPU provider, run every session through the binding path with CPU memory standing in for the device, so
    /// that <see cref="Transfers"/> counts what a CUDA session would copy (tests of the transfers of a frame).
    /// </summary>
    internal bool StandInDevice { get; init; }

    private OnnxComponentSession Wrap(string component, InferenceSession session) =>
        StandInDevice && Provider.Kind != ExecutionProviderKind.Cuda
            ? new OnnxComponentSession(component, session, DevicePlacement.Cpu(), Transfers)
            : new OnnxComponentSession(component, session, Provider, Transfers);

    /// <summary>Builds the session options of one component (exposed for tests).</summary>
    /// <param name="component">Component name, for messages.</param>
    /// <returns>Options the caller disposes.</returns>
    public SessionOptions CreateSessionOptions(string component)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogId = component,
        };
        if (options.IntraOpThreads > 0) so.IntraOpNumThreads = options.IntraOpThreads;
        if (Provider.Kind == ExecutionProviderKind.Cuda)
        {
            // Memory patterns assume fixed shapes; CUDA graphs need every node on CUDA and stable addresses.
            so.EnableMemoryPattern = !(Provider.Cuda?.EnableCudaGraph ?? false);
            ExecutionProviders.AppendCuda(so, Provider.Cuda ?? new CudaProviderSettings());
        }
        else
        {
            so.EnableCpuMemArena = true;
            so.EnableMemoryPattern = true;
            // Spinning threads burn the shared cores between the short runs of a frame.
            so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        }

        return so;
    }

    private SessionOptions OptionsFor(string component)
    {
        try
        {
            return CreateSessionOptions(component);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            // Appending the CUDA provider loads its library: the same failures as at the probe.
            ThrowIfProviderFailure(ex);
            throw;
        }
    }

    /// <summary>
    /// On CUDA, a session-creation error that is the provider's (driver too old, no device, bad device id, cuDNN or
    /// another library missing, out of memory) becomes <see cref="ExecutionProviderUnavailableException"/>, so the caller
    /// treats it like a failed start-up probe rather than as a bad checkpoint.
    /// </summary>
    private void ThrowIfProviderFailure(Exception ex)
    {
        if (Provider.Kind != ExecutionProviderKind.Cuda) return;
        var failure = ProviderDiagnosis.Classify(ex, "creating a session", SystemProviderRuntime.Instance, Provider.Cuda?.DeviceId ?? 0);
        if (failure.Kind != ProviderFailureKind.Other) throw new ExecutionProviderUnavailableException(failure, ex);
    }

    /// <summary>Loads a component graph from a file (external data is resolved next to it).</summary>
    /// <param name="component">Component name (<c>transformer</c>, <c>vae_decoder</c>, ...).</param>
    /// <param name="modelPath">The <c>.onnx</c> file.</param>
    /// <returns>The resident session.</returns>
    /// <exception cref="FileNotFoundException">The graph file is missing.</exception>
    /// <exception cref="InvalidDataException">ONNX Runtime rejected the graph (the message names the component).</exception>
    /// <exception cref="ExecutionProviderUnavailableException">On CUDA: the provider failed (driver, device, libraries).</exception>
    public OnnxComponentSession Create(string component, string modelPath)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"{component}: graph '{modelPath}' was not found.", modelPath);
        using var so = OptionsFor(component);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, so);
        }
        catch (OnnxRuntimeException ex)
        {
            ThrowIfProviderFailure(ex);
            throw new InvalidDataException($"{component}: ONNX Runtime could not load '{modelPath}': {ex.Message}", ex);
        }

        Log.SessionCreated(_logger, component, Provider.DisplayName, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return Wrap(component, session);
    }

    /// <summary>Loads a component graph from memory (graphs without external data).</summary>
    /// <param name="component">Component name.</param>
    /// <param name="model">Serialized ONNX model.</param>
    /// <returns>The resident session.</returns>
    public OnnxComponentSession Create(string component, byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var so = OptionsFor(component);
        InferenceSession session;
        try
        {
            session = new InferenceSession(model, so);
        }
        catch (OnnxRuntimeException ex)
        {
            ThrowIfProviderFailure(ex);
            throw new InvalidDataException($"{component}: ONNX Runtime could not load the in-memory graph: {ex.Message}", ex);
        }

        return Wrap(component, session);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Session '{Component}' created on {Provider} in {Milliseconds:F0} ms", EventName = "SessionCreated")]
        public static partial void SessionCreated(ILogger logger, string component, string provider, double milliseconds);
    }
}
