using System.Text;
using System.Text.RegularExpressions;

namespace SanaSprint.Inference.Runtime;

/// <summary>Why the CUDA execution provider cannot run.</summary>
public enum ProviderFailureKind
{
    /// <summary>A native library (provider, CUDA runtime, cuBLAS, cuDNN …) could not be opened.</summary>
    LibraryMissing,
    /// <summary>The ONNX Runtime in the process is a CPU-only build (no CUDA entry point).</summary>
    CpuOnlyRuntime,
    /// <summary>No NVIDIA driver, or one older than CUDA 13 needs.</summary>
    DriverTooOld,
    /// <summary>No CUDA device is visible.</summary>
    NoDevice,
    /// <summary><c>Inference:DeviceId</c> names no device.</summary>
    BadDeviceId,
    /// <summary>The device ran out of memory.</summary>
    OutOfMemory,
    /// <summary>cuDNN failed (missing, wrong major version, or an error of its own).</summary>
    Cudnn,
    /// <summary>The GPU's architecture has no kernels in this build.</summary>
    UnsupportedGpu,
    /// <summary>The probe ran but its result was wrong.</summary>
    WrongResult,
    /// <summary>Anything else; the message is ONNX Runtime's.</summary>
    Other,
}

/// <summary>A classified CUDA failure: what is wrong, what is missing and where it was looked for, and what to do.</summary>
/// <param name="Kind">The class.</param>
/// <param name="Stage">Where it happened (<c>loading the provider</c>, <c>creating a session</c>, <c>running the probe</c>).</param>
/// <param name="Summary">One sentence naming what is missing or wrong.</param>
/// <param name="Remedy">What to install or change.</param>
/// <param name="Detail">ONNX Runtime's or the loader's own message (first line).</param>
public sealed record ProviderFailure(ProviderFailureKind Kind, string Stage, string Summary, string Remedy, string Detail)
{
    /// <summary>The whole explanation on one line, for logs and the UI.</summary>
    public override string ToString() => $"{Summary} ({Stage}: {Detail}) {Remedy}";
}

/// <summary>Thrown when <c>Inference:Device = cuda</c> and CUDA cannot run; <see cref="Failure"/> says why.</summary>
/// <param name="failure">The classified failure.</param>
/// <param name="inner">The original error.</param>
public sealed class ExecutionProviderUnavailableException(ProviderFailure failure, Exception? inner = null)
    : Exception($"The CUDA execution provider cannot run: {failure}", inner)
{
    /// <summary>The classified failure.</summary>
    public ProviderFailure Failure { get; } = failure;
}

/// <summary>
/// Turns the errors ONNX Runtime and the CUDA libraries raise into a <see cref="ProviderFailure"/>. The CUDA runtime's
/// error strings come from <c>cudaGetErrorString</c> (CUDA Runtime API, "Error Handling"); ONNX Runtime reports them as
/// <c>CUDA failure N: text</c>. A missing library is named and then looked up again through <see cref="IProviderRuntime.Find"/>,
/// so the message says every library of <see cref="CudaLibraries.All"/> that is missing and where each was looked for.
/// </summary>
public static partial class ProviderDiagnosis
{
    /// <summary>Classifies an error.</summary>
    /// <param name="error">What ONNX Runtime (or the loader) threw.</param>
    /// <param name="stage">Where it happened.</param>
    /// <param name="runtime">Looks libraries up again for the message.</param>
    /// <param name="deviceId">The configured device, for messages.</param>
    /// <returns>The classified failure.</returns>
    public static ProviderFailure Classify(Exception error, string stage, IProviderRuntime runtime, int deviceId = 0)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(runtime);
        string all = AllMessages(error);
        string detail = FirstLine(error.Message);

        if (error is EntryPointNotFoundException || all.Contains("OrtSessionOptionsAppendExecutionProvider_CUDA", StringComparison.Ordinal))
            return new(ProviderFailureKind.CpuOnlyRuntime, stage, "The ONNX Runtime library in this process is a CPU-only build.",
                "Reference Microsoft.ML.OnnxRuntime.Gpu (not Microsoft.ML.OnnxRuntime) so that the GPU build of libonnxruntime.so is deployed.", detail);

        if (Has(all, "driver version is insufficient", "cudaErrorInsufficientDriver", "CUDA failure 35:", "CUDA driver is a stub library", "CUDA failure 34:",
                "forward compatibility was attempted", "CUDA failure 804:"))
            return new(ProviderFailureKind.DriverTooOld, stage, "The NVIDIA driver is missing or older than CUDA 13 needs.",
                "Install NVIDIA driver 580 or later (CUDA 13.0 needs ≥ 580 on Linux); nvidia-smi shows the installed version.", detail);

        if (Has(all, "no CUDA-capable device", "cudaErrorNoDevice", "CUDA failure 100:"))
            return new(ProviderFailureKind.NoDevice, stage, "No CUDA device is visible to this process.",
                "Check nvidia-smi, CUDA_VISIBLE_DEVICES and (in a container) that the GPU is passed through (--gpus all).", detail);

        if (Has(all, "invalid device ordinal", "cudaErrorInvalidDevice", "CUDA failure 101:"))
            return new(ProviderFailureKind.BadDeviceId, stage, $"Inference:DeviceId = {deviceId} names no CUDA device.",
                "Set Inference:DeviceId to one of the devices nvidia-smi lists (0-based, after CUDA_VISIBLE_DEVICES).", detail);

        if (Has(all, "no kernel image is available", "CUDA failure 209:", "unsupported toolchain", "CUDA failure 222:"))
            return new(ProviderFailureKind.UnsupportedGpu, stage, "This ONNX Runtime build has no kernels for this GPU's architecture.",
                "Use a GPU this CUDA 13 build supports (Turing or newer), or a newer driver.", detail);

        if (Has(all, "out of memory", "cudaErrorMemoryAllocation", "CUDA failure 2:"))
            return new(ProviderFailureKind.OutOfMemory, stage, $"CUDA device {deviceId} ran out of memory.",
                "Free the GPU (nvidia-smi lists its processes), use a smaller frame size or batch, or set Inference:GpuMemoryLimitMiB.", detail);

        var named = LibraryNames().Matches(all).Select(m => m.Value).Where(n => !n.StartsWith("libonnxruntime.so", StringComparison.Ordinal)).Distinct().ToList();
        bool loadError = error is DllNotFoundException || Has(all, "cannot open shared object file", "Failed to load library", "LoadLibrary failed", "dlopen", "Could not load library");
        bool cudnn = all.Contains("cudnn", StringComparison.OrdinalIgnoreCase);
        if (loadError || cudnn)
        {
            var missing = MissingLibraries(runtime, named);
            if (missing.Count > 0 || loadError)
            {
                var summary = new StringBuilder();
                if (missing.Count == 0)
                    summary.Append($"A library the CUDA provider needs could not be loaded{(named.Count > 0 ? $" ({string.Join(", ", named)})" : "")}.");
                else
                {
                    summary.Append("Missing: ").Append(string.Join(", ", missing.Select(m => $"{m.Library.Name} ({m.Library.Component})")));
                    var notFound = missing.Select(m => m.Lookup).Where(l => l.Path is null).GroupBy(l => string.Join("; ", l.SearchedLocations)).ToList();
                    foreach (var places in notFound)
                        summary.Append(notFound.Count == 1 ? $"; looked for in {places.Key}" : $"; {string.Join(", ", places.Select(l => l.Name))} looked for in {places.Key}");
                    foreach (var broken in missing.Select(m => m.Lookup).Where(l => l.Path is not null))
                        summary.Append("; ").Append(broken.Describe());
                    summary.Append('.');
                }

                var installs = missing.Select(m => m.Library.Install).Distinct().ToList();
                string remedy = installs.Count > 0
                    ? $"Install {string.Join("; ", installs)}; and put their folders on LD_LIBRARY_PATH or in the ldconfig cache."
                    : "Install the CUDA 13 runtime and cuDNN 9, and put their folders on LD_LIBRARY_PATH or in the ldconfig cache.";
                var kind = missing.Count > 0 && missing.All(m => m.Library.LoadedLazily) ? ProviderFailureKind.Cudnn : ProviderFailureKind.LibraryMissing;
                return new(kind, stage, summary.ToString(), remedy, detail);
            }

            return new(ProviderFailureKind.Cudnn, stage, "cuDNN failed (its libraries load, so this is cuDNN's own error or a version mismatch).",
                "Use cuDNN 9 built for CUDA 13 (the provider is built against cuDNN 9; cuDNN 8 is not compatible).", detail);
        }

        return new(ProviderFailureKind.Other, stage, "The CUDA execution provider failed.",
            "Run `sanasprint doctor` for the libraries, driver and device it finds.", detail);
    }

    /// <summary>The known libraries that are named in the error or cannot be found, each with its lookup.</summary>
    private static List<(CudaLibrary Library, NativeLibraryLookup Lookup)> MissingLibraries(IProviderRuntime runtime, IReadOnlyList<string> named)
    {
        var missing = new List<(CudaLibrary, NativeLibraryLookup)>();
        var candidates = CudaLibraries.All.ToList();
        foreach (var n in named)
            if (CudaLibraries.Find(n) is null)
                candidates.Add(new CudaLibrary(n, n, "a library the CUDA provider needs", "the library that provides it"));
        foreach (var lib in candidates)
        {
            var lookup = runtime.Find(lib.Name);
            // The provider library on disk that cannot open is a consequence of what it needs, not itself missing.
            if (!lookup.Loaded && !(lib == CudaLibraries.Provider && lookup.Path is not null)) missing.Add((lib, lookup));
        }

        return missing;
    }

    private static bool Has(string text, params string[] needles) => needles.Any(n => text.Contains(n, StringComparison.OrdinalIgnoreCase));

    private static string AllMessages(Exception e)
    {
        var sb = new StringBuilder();
        for (Exception? x = e; x is not null; x = x.InnerException) sb.Append(x.Message).Append('\n');
        return sb.ToString();
    }

    internal static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n');
        return (nl >= 0 ? message[..nl] : message).Trim();
    }

    [GeneratedRegex(@"lib[A-Za-z0-9_+\-]+\.so(\.[0-9]+)*|[A-Za-z0-9_]+64_[0-9]+\.dll")]
    private static partial Regex LibraryNames();
}
