using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Tests.Runtime;

/// <summary>
/// A machine without a GPU that can pretend: <see cref="AppendError"/> and <see cref="SessionError"/> throw what ONNX
/// Runtime throws when a library, the driver or the device is wrong; <see cref="Missing"/> are the libraries the loader
/// cannot find. When nothing fails, "CUDA" sessions are plain CPU sessions with CPU placement, so the probe runs for real.
/// </summary>
internal sealed class FakeProviderRuntime : IProviderRuntime
{
    public Func<Exception>? AppendError { get; init; }
    public Func<Exception>? SessionError { get; init; }
    public HashSet<string> Missing { get; init; } = new(StringComparer.Ordinal);
    public CudaProviderSettings? Appended { get; private set; }
    public int SessionsCreated { get; private set; }

    public static IReadOnlyList<string> Searched { get; } =
        ["LD_LIBRARY_PATH (/opt/nvidia/lib)", "the app folder (/app, /app/runtimes/linux-x64/native)", "the ldconfig cache (ldconfig -p)", "default (/usr/lib/x86_64-linux-gnu)"];

    /// <summary>ONNX Runtime's message when the CUDA provider library cannot load one of its NEEDED libraries.</summary>
    public static Exception MissingLibraryError(string library) => new InvalidOperationException(
        $"[ErrorCode:Fail] Failed to load library libonnxruntime_providers_cuda.so with error: {library}: cannot open shared object file: No such file or directory");

    public void AppendCuda(SessionOptions options, CudaProviderSettings settings)
    {
        Appended = settings;
        if (AppendError is not null) throw AppendError();
    }

    public InferenceSession CreateSession(byte[] model, SessionOptions options)
    {
        if (SessionError is not null) throw SessionError();
        SessionsCreated++;
        // The pretend CUDA device is the CPU: a plain CPU session (the given options disable CPU fallback for the real device).
        using var cpu = new SessionOptions { IntraOpNumThreads = 1 };
        return new InferenceSession(model, cpu);
    }

    public DevicePlacement CudaPlacement(int deviceId) => DevicePlacement.Cpu();

    public NativeLibraryLookup Find(string name) => Missing.Contains(name)
        ? new NativeLibraryLookup(name, false, null, Searched, "not found")
        : new NativeLibraryLookup(name, true, "/opt/nvidia/lib/" + name, Searched);
}
