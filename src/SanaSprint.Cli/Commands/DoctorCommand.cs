using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>doctor [--device auto|cuda|cpu] [--device-id N]</c>: what this machine offers ONNX Runtime — its version and
/// providers, each library the CUDA provider needs and where it was looked for, the CUDA runtime and cuDNN versions,
/// the devices — then runs the start-up probe (fp16 Conv + MatMul) on CPU and on CUDA, and says what to install when
/// something is missing. Exit code 0 when the configured device works (for <c>auto</c>: when CUDA or CPU does), 1 otherwise.
/// </summary>
internal static class DoctorCommand
{
    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "The device to check: auto, cuda or cpu (as Inference:Device).", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cuda", "cpu");
        var deviceId = new Option<int>("--device-id") { Description = "CUDA device ordinal (as Inference:DeviceId).", DefaultValueFactory = _ => 0 };
        var command = new Command("doctor", "Check ONNX Runtime, the CUDA libraries, driver and device, and run the start-up probe.") { device, deviceId };
        command.SetAction(parse => Run(new InferenceOptions { Device = parse.GetValue(device)!, DeviceId = parse.GetValue(deviceId) },
            SystemProviderRuntime.Instance, parse.InvocationConfiguration.Output));
        return command;
    }

    /// <summary>Prints the report; returns the exit code.</summary>
    /// <param name="options">Device and device id.</param>
    /// <param name="runtime">The seam to the machine.</param>
    /// <param name="stdout">Where the report goes.</param>
    /// <returns>0 when the configured device works, 1 otherwise.</returns>
    public static int Run(InferenceOptions options, IProviderRuntime runtime, TextWriter stdout)
    {
        string requested = ExecutionProviders.Normalize(options.Device);
        var o = stdout;

        // 1. Runtime.
        o.WriteLine("SanaSprint doctor");
        o.WriteLine($"  ONNX Runtime      {OrtEnv.Instance().GetVersionString()} (package built for CUDA 13 + cuDNN 9 on Linux)");
        o.WriteLine($"  providers built in {string.Join(", ", OrtEnv.Instance().GetAvailableProviders())}");
        o.WriteLine($"  process           .NET {Environment.Version}, {RuntimeInformation.RuntimeIdentifier}, app folder {AppContext.BaseDirectory}");
        string ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is { Length: > 0 } ld ? ld : "(not set)";
        o.WriteLine($"  LD_LIBRARY_PATH   {ldPath}");

        // 2. Libraries, CUDA and cuDNN versions, devices.
        var env = CudaEnvironment.Inspect(runtime);
        o.WriteLine();
        o.WriteLine("CUDA provider libraries");
        foreach (var (lib, lookup) in env.Libraries)
        {
            string state = lookup.Loaded ? "ok" : lookup.Path is not null ? "broken" : "missing";
            string where = lookup.Loaded ? lookup.Path ?? "(found by the dynamic loader)" : lookup.Path is not null ? $"{lookup.Path}: {lookup.Error}" : "not found";
            o.WriteLine($"  {state,-8} {lib.Name,-34} {lib.Component}{(lib.LoadedLazily ? ", opened on first use" : "")}");
            o.WriteLine($"           {where}");
        }

        var searched = env.Libraries.Select(l => l.Lookup).FirstOrDefault(l => l.SearchedLocations.Count > 0)?.SearchedLocations ?? [];
        o.WriteLine($"  looked in: {string.Join("; ", searched)}");
        o.WriteLine();
        o.WriteLine($"  CUDA runtime      {env.RuntimeVersion ?? $"not loadable ({CudaLibraries.Runtime.Name})"}");
        o.WriteLine($"  driver            {(env.DriverVersion is null ? "" : env.DriverVersion + ", ")}supports CUDA {env.DriverCudaVersion ?? "? (needs libcudart to ask)"}");
        o.WriteLine($"  cuDNN             {env.CudnnVersion ?? $"not loadable ({CudaLibraries.Cudnn.Name})"}");
        if (env.Devices.Count == 0) o.WriteLine("  devices           none found");
        foreach (var d in env.Devices)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  device {d.Index}          {d.Name}, {d.TotalMemoryMiB} MiB ({d.Source})"));
        foreach (var note in env.Notes) o.WriteLine($"  note              {note}");

        // 3. The probes: the same check the app runs at start.
        o.WriteLine();
        o.WriteLine("Start-up probe (fp16 Conv + MatMul through the IOBinding path)");
        var cpu = ProviderProbe.Run(ExecutionProviderKind.Cpu, null, runtime);
        PrintProbe(o, cpu);
        ProbeResult? cuda = null;
        if (requested != "cpu")
        {
            cuda = ProviderProbe.Run(ExecutionProviderKind.Cuda, CudaProviderSettings.From(options) with { EnableCudaGraph = false }, runtime);
            PrintProbe(o, cuda);
        }

        // 4. Verdict and what to install.
        o.WriteLine();
        bool cudaWorks = cuda?.Succeeded ?? false;
        int code;
        switch (requested)
        {
            case "cpu":
                code = cpu.Succeeded ? 0 : 1;
                o.WriteLine($"Inference:Device = cpu: {(cpu.Succeeded ? "CPU works." : "CPU does NOT work.")}");
                break;
            case "cuda":
                code = cudaWorks ? 0 : 1;
                o.WriteLine($"Inference:Device = cuda: {(cudaWorks ? $"CUDA works on device {options.DeviceId}." : "CUDA is unavailable, so the app will refuse to start.")}");
                break;
            default:
                code = cudaWorks || cpu.Succeeded ? 0 : 1;
                o.WriteLine($"Inference:Device = auto: {(cudaWorks ? $"runs on CUDA (device {options.DeviceId})." : cpu.Succeeded ? "CUDA is unavailable; runs on CPU (CPU works)." : "neither CUDA nor CPU works.")}");
                break;
        }

        if (cuda?.Failure is { } failure)
        {
            o.WriteLine($"  why CUDA is unavailable: {failure.Summary}");
            o.WriteLine($"  what to do: {failure.Remedy}");
            o.WriteLine("  requirements: Microsoft.ML.OnnxRuntime.Gpu 1.31 on Linux needs the CUDA 13 runtime (libcudart.so.13, libcublas.so.13,");
            o.WriteLine("  libcublasLt.so.13, libcurand.so.10), cuDNN 9 (libcudnn*.so.9) and an NVIDIA driver >= 580 (libcuda.so.1).");
        }

        return code;
    }

    private static void PrintProbe(TextWriter o, ProbeResult r)
    {
        if (r.Succeeded)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {r.Provider,-5} ok      {r.Elapsed.TotalMilliseconds:F0} ms, max |error| {r.MaxError:G3}"));
        else
            o.WriteLine($"  {r.Provider,-5} FAILED  {r.Failure!.Stage}: {r.Failure.Detail}");
    }
}
