using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SanaSprint.Inference.Runtime;

/// <summary>A CUDA device as the CUDA runtime or nvidia-smi reports it.</summary>
/// <param name="Index">Device ordinal.</param>
/// <param name="Name">E.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="TotalMemoryMiB">Device memory in MiB (0 when unknown).</param>
/// <param name="Source">"cudart" or "nvidia-smi".</param>
public sealed record CudaDevice(int Index, string Name, long TotalMemoryMiB, string Source);

/// <summary>What <see cref="CudaEnvironment.Inspect"/> found about the machine's CUDA stack.</summary>
public sealed record CudaEnvironmentReport
{
    /// <summary>Each library of <see cref="CudaLibraries.All"/> with its lookup.</summary>
    public IReadOnlyList<(CudaLibrary Library, NativeLibraryLookup Lookup)> Libraries { get; init; } = [];

    /// <summary><c>cudaRuntimeGetVersion</c> as "13.0", or null when libcudart cannot be opened.</summary>
    public string? RuntimeVersion { get; init; }

    /// <summary><c>cudaDriverGetVersion</c>: the newest CUDA the driver supports, e.g. "13.0" (null when unknown; "none" without a driver).</summary>
    public string? DriverCudaVersion { get; init; }

    /// <summary>The driver's own version from nvidia-smi, e.g. "580.65.06".</summary>
    public string? DriverVersion { get; init; }

    /// <summary><c>cudnnGetVersion</c> as "9.10.2", or null when libcudnn cannot be opened.</summary>
    public string? CudnnVersion { get; init; }

    /// <summary>Visible devices.</summary>
    public IReadOnlyList<CudaDevice> Devices { get; init; } = [];

    /// <summary>Problems met while asking (a CUDA error string, nvidia-smi missing …), one sentence each.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>
/// Inspects the CUDA stack without ONNX Runtime: looks up the provider's libraries, opens <c>libcudart.so.13</c> and
/// <c>libcudnn.so.9</c> with <see cref="NativeLibrary"/> to call <c>cudaRuntimeGetVersion</c>, <c>cudaDriverGetVersion</c>,
/// <c>cudaGetDeviceCount</c>, <c>cudaGetDeviceProperties</c>, <c>cudaMemGetInfo</c> (CUDA Runtime API) and
/// <c>cudnnGetVersion</c> (cuDNN API), and asks <c>nvidia-smi --query-gpu</c> when it is on the PATH.
/// </summary>
public static class CudaEnvironment
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntOut(out int value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int DeviceProperties(byte[] properties, int device);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetDevice(int device);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MemGetInfo(out nuint free, out nuint total);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ErrorString(int error);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nuint SizeT();

    /// <summary>Looks everything up.</summary>
    /// <param name="runtime">Where libraries are looked up.</param>
    /// <returns>The report.</returns>
    public static CudaEnvironmentReport Inspect(IProviderRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var notes = new List<string>();
        var libraries = CudaLibraries.All.Select(l => (l, runtime.Find(l.Name))).ToList();
        var devices = new List<CudaDevice>();
        string? runtimeVersion = null, driverCuda = null, cudnn = null;

        string cudart = CudaLibraries.Runtime.Name;
        var getRuntime = SystemProviderRuntime.TryGetExport<IntOut>(cudart, "cudaRuntimeGetVersion");
        if (getRuntime is not null && getRuntime(out int rv) == 0) runtimeVersion = CudaVersion(rv);
        var getDriver = SystemProviderRuntime.TryGetExport<IntOut>(cudart, "cudaDriverGetVersion");
        if (getDriver is not null && getDriver(out int dv) == 0) driverCuda = dv == 0 ? "none (no NVIDIA driver)" : CudaVersion(dv);
        var count = SystemProviderRuntime.TryGetExport<IntOut>(cudart, "cudaGetDeviceCount");
        if (count is not null)
        {
            int status = count(out int n);
            if (status != 0) notes.Add($"cudaGetDeviceCount: {CudaError(cudart, status)}");
            else devices.AddRange(Enumerable.Range(0, n).Select(i => CudartDevice(cudart, i, notes)));
        }

        var cudnnVersion = SystemProviderRuntime.TryGetExport<SizeT>(CudaLibraries.Cudnn.Name, "cudnnGetVersion");
        if (cudnnVersion is not null)
        {
            // cuDNN 9 encodes major·10000 + minor·100 + patch.
            ulong v = cudnnVersion();
            cudnn = $"{v / 10000}.{v / 100 % 100}.{v % 100}";
        }

        var (smiDevices, driverVersion) = NvidiaSmi(notes);
        if (devices.Count == 0) devices.AddRange(smiDevices);
        return new CudaEnvironmentReport
        {
            Libraries = libraries,
            RuntimeVersion = runtimeVersion,
            DriverCudaVersion = driverCuda,
            DriverVersion = driverVersion,
            CudnnVersion = cudnn,
            Devices = devices,
            Notes = notes,
        };
    }

    private static string CudaVersion(int v) => $"{v / 1000}.{v % 1000 / 10}";

    private static string CudaError(string cudart, int status)
    {
        var text = SystemProviderRuntime.TryGetExport<ErrorString>(cudart, "cudaGetErrorString");
        string? s = text is null ? null : Marshal.PtrToStringAnsi(text(status));
        return $"CUDA error {status}{(s is null ? "" : $" ({s})")}";
    }

    private static CudaDevice CudartDevice(string cudart, int index, List<string> notes)
    {
        string name = $"device {index}";
        long memory = 0;
        // cudaDeviceProp starts with char name[256]; the struct is about 1 KB, so 8 KB leaves room for any version.
        var props = SystemProviderRuntime.TryGetExport<DeviceProperties>(cudart, "cudaGetDeviceProperties_v2")
                    ?? SystemProviderRuntime.TryGetExport<DeviceProperties>(cudart, "cudaGetDeviceProperties");
        var buffer = new byte[8192];
        if (props is not null && props(buffer, index) == 0)
        {
            int end = Array.IndexOf(buffer, (byte)0, 0, 256);
            name = Encoding.ASCII.GetString(buffer, 0, end < 0 ? 256 : end);
        }

        var set = SystemProviderRuntime.TryGetExport<SetDevice>(cudart, "cudaSetDevice");
        var mem = SystemProviderRuntime.TryGetExport<MemGetInfo>(cudart, "cudaMemGetInfo");
        if (set is not null && mem is not null && set(index) == 0)
        {
            int status = mem(out _, out var total);
            if (status == 0) memory = (long)(total / (1024 * 1024));
            else notes.Add($"cudaMemGetInfo on device {index}: {CudaError(cudart, status)}");
        }

        return new CudaDevice(index, name, memory, "cudart");
    }

    private static (List<CudaDevice> Devices, string? DriverVersion) NvidiaSmi(List<string> notes)
    {
        var devices = new List<CudaDevice>();
        string? exe = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, OperatingSystem.IsWindows() ? "nvidia-smi.exe" : "nvidia-smi")).FirstOrDefault(File.Exists);
        if (exe is null)
        {
            notes.Add("nvidia-smi is not on the PATH (it comes with the NVIDIA driver).");
            return (devices, null);
        }

        try
        {
            using var p = Process.Start(new ProcessStartInfo(exe, "--query-gpu=index,name,memory.total,driver_version --format=csv,noheader,nounits")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p is null) return (devices, null);
            string output = p.StandardOutput.ReadToEnd();
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit(10_000);
            string? driver = null;
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var f = line.Split(',', StringSplitOptions.TrimEntries);
                if (f.Length < 4) continue;
                long.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out long mib);
                devices.Add(new CudaDevice(int.TryParse(f[0], out int i) ? i : devices.Count, f[1], mib, "nvidia-smi"));
                driver ??= f[3];
            }

            if (p.ExitCode != 0) notes.Add($"nvidia-smi failed: {ProviderDiagnosis.FirstLine(error + output)}");
            return (devices, driver);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            notes.Add($"nvidia-smi could not run: {ex.Message}");
            return (devices, null);
        }
    }
}
