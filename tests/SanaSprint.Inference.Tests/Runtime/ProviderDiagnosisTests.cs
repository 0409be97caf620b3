using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Tests.Runtime;

/// <summary>The errors ONNX Runtime raises when CUDA cannot run, classified with what is missing and what to do.</summary>
public sealed class ProviderDiagnosisTests
{
    [Theory]
    [InlineData("libcublasLt.so.13")]
    [InlineData("libcudart.so.13")]
    [InlineData("libcublas.so.13")]
    [InlineData("libcurand.so.10")]
    public void AMissingCudaLibraryIsNamedWithWhereItWasLookedForAndWhatToInstall(string library)
    {
        var runtime = new FakeProviderRuntime { Missing = { library } };
        var f = ProviderDiagnosis.Classify(FakeProviderRuntime.MissingLibraryError(library), "loading the provider", runtime);
        Assert.Equal(ProviderFailureKind.LibraryMissing, f.Kind);
        Assert.Contains(library, f.Summary);
        Assert.Contains("CUDA 13", f.Summary);
        foreach (var place in FakeProviderRuntime.Searched) Assert.Contains(place, f.Summary);
        Assert.Contains("CUDA 13 runtime", f.Remedy);
        Assert.Contains("loading the provider", f.ToString());
    }

    [Fact]
    public void EveryMissingLibraryIsListedNotOnlyTheFirstTheLoaderHit()
    {
        var runtime = new FakeProviderRuntime { Missing = { "libcublasLt.so.13", "libcudnn.so.9" } };
        var f = ProviderDiagnosis.Classify(FakeProviderRuntime.MissingLibraryError("libcublasLt.so.13"), "loading the provider", runtime);
        Assert.Equal(ProviderFailureKind.LibraryMissing, f.Kind);
        Assert.Contains("libcublasLt.so.13", f.Summary);
        Assert.Contains("libcudnn.so.9", f.Summary);
        Assert.Contains("cuDNN 9", f.Remedy);
    }

    [Fact]
    public void MissingCudnnFoundOnlyWhenAConvolutionRunsIsClassifiedAsCudnn()
    {
        var runtime = new FakeProviderRuntime { Missing = { "libcudnn.so.9", "libcudnn_graph.so.9" } };
        var error = new InvalidOperationException("[ErrorCode:RuntimeException] Could not load library libcudnn_graph.so.9. Error: libcudnn_graph.so.9: cannot open shared object file: No such file or directory");
        var f = ProviderDiagnosis.Classify(error, "running the probe", runtime);
        Assert.Equal(ProviderFailureKind.Cudnn, f.Kind);
        Assert.Contains("libcudnn.so.9", f.Summary);
        Assert.Contains("nvidia-cudnn-cu13", f.Remedy);
    }

    [Theory]
    [InlineData("CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version ; GPU=0 ; hostname=h ; file=cuda_execution_provider.cc", ProviderFailureKind.DriverTooOld, "580")]
    [InlineData("CUDA failure 100: no CUDA-capable device is detected ; GPU=0", ProviderFailureKind.NoDevice, "CUDA_VISIBLE_DEVICES")]
    [InlineData("CUDA failure 101: invalid device ordinal ; GPU=7", ProviderFailureKind.BadDeviceId, "Inference:DeviceId")]
    [InlineData("CUDA failure 2: out of memory ; GPU=0", ProviderFailureKind.OutOfMemory, "GpuMemoryLimitMiB")]
    [InlineData("CUDNN failure 3000: CUDNN_STATUS_NOT_SUPPORTED ; GPU=0", ProviderFailureKind.Cudnn, "cuDNN 9")]
    [InlineData("Unable to find an entry point named 'OrtSessionOptionsAppendExecutionProvider_CUDA' in shared library 'onnxruntime'.", ProviderFailureKind.CpuOnlyRuntime, "Microsoft.ML.OnnxRuntime.Gpu")]
    public void SessionCreationErrorsAreClassifiedWithARemedy(string message, ProviderFailureKind kind, string remedy)
    {
        var f = ProviderDiagnosis.Classify(new InvalidOperationException(message), "creating a session", new FakeProviderRuntime(), deviceId: 7);
        Assert.Equal(kind, f.Kind);
        Assert.Contains(remedy, f.Remedy + f.Summary);
        Assert.Equal(message.Split('\n')[0].Trim(), f.Detail);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("cuda")]
    public void DriverTooOldAtSessionCreationIsHandledPerDevice(string device)
    {
        var log = new ExecutionProvidersTests.ListLogger();
        var runtime = new FakeProviderRuntime { SessionError = () => new InvalidOperationException("CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version") };
        var options = new InferenceOptions { Device = device };
        if (device == "cuda")
        {
            var ex = Assert.Throws<ExecutionProviderUnavailableException>(() => ExecutionProviders.Select(options, log, runtime));
            Assert.Equal(ProviderFailureKind.DriverTooOld, ex.Failure.Kind);
            Assert.Equal("creating a session", ex.Failure.Stage);
        }
        else
        {
            var choice = ExecutionProviders.Select(options, log, runtime);
            Assert.Equal(ExecutionProviderKind.Cpu, choice.Kind);
            Assert.Equal(ProviderFailureKind.DriverTooOld, choice.Fallback!.Kind);
            Assert.Contains("driver", choice.Note);
        }
    }

    [Fact]
    public void AModelSessionFailingOnCudaIsAProviderFailureNotAModelFailure()
    {
        var choice = new ExecutionProviderChoice(ExecutionProviderKind.Cuda, "auto", "test", new CudaProviderSettings());
        var factory = new OnnxSessionFactory(choice, new InferenceOptions());
        // On this machine the CUDA provider cannot load, so creating any session on it fails the way a broken CUDA setup does.
        var ex = Record.Exception(() => factory.Create("tiny", TinyOnnxModel.Add()).Dispose());
        if (ex is null) return; // a working GPU: nothing to classify
        var provider = Assert.IsType<ExecutionProviderUnavailableException>(ex);
        Assert.NotEqual(ProviderFailureKind.Other, provider.Failure.Kind);
    }
}
