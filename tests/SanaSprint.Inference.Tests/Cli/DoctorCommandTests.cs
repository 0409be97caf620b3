using SanaSprint.Cli.Commands;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Tests.Runtime;

namespace SanaSprint.Inference.Tests.Cli;

/// <summary><c>doctor</c>: what it finds, the probe's result, what to install, and the exit code per device.</summary>
public sealed class DoctorCommandTests
{
    private static (int Code, string Out) Doctor(string device, IProviderRuntime runtime)
    {
        var stdout = new StringWriter();
        int code = DoctorCommand.Run(new InferenceOptions { Device = device }, runtime, stdout);
        return (code, stdout.ToString());
    }

    [Fact]
    public void OnThisMachineItReportsTheRuntimeTheLibrariesAndBothProbes()
    {
        var (code, output) = Doctor("auto", SystemProviderRuntime.Instance);
        Assert.Equal(0, code); // auto works: on CUDA where it can, else on CPU
        Assert.Contains("ONNX Runtime      1.31", output);
        Assert.Contains("CPUExecutionProvider", output);
        foreach (var lib in CudaLibraries.All) Assert.Contains(lib.Name, output);
        Assert.Contains("looked in: LD_LIBRARY_PATH", output);
        Assert.Contains("runtimes/linux-x64/native", output);
        Assert.Contains("CUDA runtime", output);
        Assert.Contains("cuDNN", output);
        Assert.Matches(@"CPU\s+ok", output);
        Assert.Matches(@"CUDA\s+(ok|FAILED)", output);
        if (output.Contains("FAILED"))
        {
            // CPU-only: it says CUDA is unavailable, why, and that CPU works.
            Assert.Contains("CUDA is unavailable; runs on CPU (CPU works).", output);
            Assert.Contains("why CUDA is unavailable:", output);
            Assert.Contains("what to do: Install", output);
            Assert.Equal(1, Doctor("cuda", SystemProviderRuntime.Instance).Code);
        }
    }

    [Fact]
    public void CpuExitsZeroWithoutProbingCuda()
    {
        var runtime = new FakeProviderRuntime { AppendError = () => FakeProviderRuntime.MissingLibraryError("libcublasLt.so.13") };
        var (code, output) = Doctor("cpu", runtime);
        Assert.Equal(0, code);
        Assert.Null(runtime.Appended);
        Assert.Contains("Inference:Device = cpu: CPU works.", output);
    }

    [Theory]
    [InlineData("auto", 0)]
    [InlineData("cuda", 1)]
    public void AMissingCudaLibraryIsNamedWithWhatToInstallAndTheExitCodeFollowsTheDevice(string device, int expected)
    {
        var runtime = new FakeProviderRuntime { AppendError = () => FakeProviderRuntime.MissingLibraryError("libcublasLt.so.13"), Missing = { "libcublasLt.so.13" } };
        var (code, output) = Doctor(device, runtime);
        Assert.Equal(expected, code);
        Assert.Contains("missing  libcublasLt.so.13", output);
        Assert.Matches(@"CUDA\s+FAILED\s+loading the provider", output);
        Assert.Contains("why CUDA is unavailable: Missing: libcublasLt.so.13", output);
        Assert.Contains("what to do: Install the CUDA 13 runtime", output);
    }

    [Fact]
    public void AWorkingCudaProbeExitsZeroForCuda()
    {
        var (code, output) = Doctor("cuda", new FakeProviderRuntime());
        Assert.Equal(0, code);
        Assert.Contains("Inference:Device = cuda: CUDA works on device 0.", output);
        Assert.DoesNotContain("why CUDA is unavailable", output);
    }
}
