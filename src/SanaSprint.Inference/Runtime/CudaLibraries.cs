namespace SanaSprint.Inference.Runtime;

/// <summary>One native library the CUDA execution provider needs.</summary>
/// <param name="LinuxName">The soname the dynamic loader is asked for (e.g. <c>libcublasLt.so.13</c>).</param>
/// <param name="WindowsName">The DLL name on Windows (e.g. <c>cublasLt64_13.dll</c>).</param>
/// <param name="Component">What it is, for messages (e.g. <c>CUDA 13 cuBLASLt</c>).</param>
/// <param name="Install">Where it comes from, for the remedy.</param>
/// <param name="LoadedLazily">True when ONNX Runtime opens it only when a kernel first needs it (cuDNN): a provider that loads can still fail on its first convolution.</param>
public sealed record CudaLibrary(string LinuxName, string WindowsName, string Component, string Install, bool LoadedLazily = false)
{
    /// <summary>The name on this operating system.</summary>
    public string Name => OperatingSystem.IsWindows() ? WindowsName : LinuxName;
}

/// <summary>
/// The native libraries behind the CUDA execution provider of <c>Microsoft.ML.OnnxRuntime.Gpu</c> 1.31.0. On Linux its
/// <c>libonnxruntime_providers_cuda.so</c> lists <c>libcublasLt.so.13</c>, <c>libcublas.so.13</c>, <c>libcurand.so.10</c>,
/// <c>libcudart.so.13</c> and <c>libcuda.so.1</c> as NEEDED (readelf -d), and opens cuDNN 9 with dlopen when a kernel
/// first needs it; ONNX Runtime's CUDA requirements table ("CUDA Execution Provider", onnxruntime.ai/docs) pairs the
/// CUDA 13 builds with cuDNN 9.
/// </summary>
public static class CudaLibraries
{
    private const string CudaToolkit = "the CUDA 13 runtime (CUDA Toolkit 13.x, or the pip wheels nvidia-cuda-runtime, nvidia-cublas, nvidia-curand)";

    /// <summary>The provider library itself, shipped by the ONNX Runtime GPU package.</summary>
    public static readonly CudaLibrary Provider = new("libonnxruntime_providers_cuda.so", "onnxruntime_providers_cuda.dll", "ONNX Runtime's CUDA provider",
        "the Microsoft.ML.OnnxRuntime.Gpu package (runtimes/<rid>/native next to the app)");

    /// <summary>The NVIDIA driver's user-mode library.</summary>
    public static readonly CudaLibrary Driver = new("libcuda.so.1", "nvcuda.dll", "the NVIDIA driver",
        "the NVIDIA driver, version 580 or later (CUDA 13 needs it on Linux)");

    /// <summary>The CUDA runtime (<c>cudaRuntimeGetVersion</c> lives here).</summary>
    public static readonly CudaLibrary Runtime = new("libcudart.so.13", "cudart64_13.dll", "the CUDA 13 runtime", CudaToolkit);

    private const string CudnnInstall = "cuDNN 9 for CUDA 13 (NVIDIA's cuDNN 9 packages, or the pip wheel nvidia-cudnn-cu13)";

    /// <summary>cuDNN 9 (<c>cudnnGetVersion</c> lives here).</summary>
    public static readonly CudaLibrary Cudnn = new("libcudnn.so.9", "cudnn64_9.dll", "cuDNN 9", CudnnInstall, LoadedLazily: true);

    /// <summary>Every library, in the order the loader meets them.</summary>
    public static IReadOnlyList<CudaLibrary> All { get; } =
    [
        Provider,
        Driver,
        Runtime,
        new("libcublasLt.so.13", "cublasLt64_13.dll", "CUDA 13 cuBLASLt", CudaToolkit),
        new("libcublas.so.13", "cublas64_13.dll", "CUDA 13 cuBLAS", CudaToolkit),
        new("libcurand.so.10", "curand64_10.dll", "CUDA 13 cuRAND", CudaToolkit),
        Cudnn,
        new("libcudnn_graph.so.9", "cudnn_graph64_9.dll", "cuDNN 9 graph library", CudnnInstall, LoadedLazily: true),
    ];

    /// <summary>The known library a soname from an error message refers to (by file name, ignoring case), or null.</summary>
    /// <param name="name">E.g. <c>libcublasLt.so.13</c>.</param>
    /// <returns>The library.</returns>
    public static CudaLibrary? Find(string name) =>
        All.FirstOrDefault(l => string.Equals(l.LinuxName, name, StringComparison.OrdinalIgnoreCase) || string.Equals(l.WindowsName, name, StringComparison.OrdinalIgnoreCase));
}
