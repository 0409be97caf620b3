using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Tests.Runtime;

public sealed class ExecutionProvidersTests
{
    [Fact]
    public void CpuIsUsedWithoutProbingWhenConfigured()
    {
        var log = new ListLogger();
        var runtime = new FakeProviderRuntime();
        var choice = ExecutionProviders.Select(new InferenceOptions { Device = "cpu" }, log, runtime);
        Assert.Equal(ExecutionProviderKind.Cpu, choice.Kind);
        Assert.Null(runtime.Appended);
        Assert.Null(choice.Note);
        Assert.Single(log.Lines, l => l.Level == LogLevel.Information && l.Text.Contains("execution provider: CPU"));
    }

    [Fact]
    public void AutoFallsBackToCpuNamingTheMissingLibraryAndWhereItWasLookedFor()
    {
        var log = new ListLogger();
        var runtime = new FakeProviderRuntime { AppendError = () => FakeProviderRuntime.MissingLibraryError("libcublasLt.so.13"), Missing = { "libcublasLt.so.13" } };
        var choice = ExecutionProviders.Select(new InferenceOptions { Device = "auto" }, log, runtime);
        Assert.Equal(ExecutionProviderKind.Cpu, choice.Kind);
        Assert.Equal(ProviderFailureKind.LibraryMissing, choice.Fallback!.Kind);
        Assert.Contains("libcublasLt.so.13", choice.Reason);
        Assert.Contains("libcublasLt.so.13", choice.Note);
        Assert.Contains("LD_LIBRARY_PATH", choice.Note);
        Assert.Contains("runtimes/linux-x64/native", choice.Note);
        Assert.Contains("ldconfig", choice.Note);
        Assert.Single(log.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("libcublasLt.so.13"));
        Assert.Single(log.Lines, l => l.Level == LogLevel.Information && l.Text.Contains("CPU") && l.Text.Contains("libcublasLt.so.13"));
    }

    [Fact]
    public void CudaFailsTheStartNamingTheMissingLibrary()
    {
        var log = new ListLogger();
        var runtime = new FakeProviderRuntime { AppendError = () => FakeProviderRuntime.MissingLibraryError("libcublasLt.so.13"), Missing = { "libcublasLt.so.13" } };
        var ex = Assert.Throws<ExecutionProviderUnavailableException>(() => ExecutionProviders.Select(new InferenceOptions { Device = "cuda" }, log, runtime));
        Assert.Equal(ProviderFailureKind.LibraryMissing, ex.Failure.Kind);
        Assert.Contains("libcublasLt.so.13", ex.Message);
        Assert.Contains("LD_LIBRARY_PATH", ex.Message);
        Assert.Single(log.Lines, l => l.Level == LogLevel.Error && l.Text.Contains("libcublasLt.so.13"));
        Assert.DoesNotContain(log.Lines, l => l.Text.Contains("execution provider: CPU"));
    }

    [Fact]
    public void SuccessfulProbeSelectsCudaWithTheConfiguredSettings()
    {
        var runtime = new FakeProviderRuntime();
        var options = new InferenceOptions { Device = "auto", DeviceId = 3, UseTf32 = false, GpuMemoryLimitMiB = 2048 };
        var choice = ExecutionProviders.Select(options, new ListLogger(), runtime);
        Assert.Equal(ExecutionProviderKind.Cuda, choice.Kind);
        Assert.Equal("CUDA", choice.DisplayName);
        Assert.Contains("probe", choice.Reason);
        Assert.Equal(1, runtime.SessionsCreated);
        var o = runtime.Appended!.ToProviderOptions();
        Assert.Equal("3", o["device_id"]);
        Assert.Equal("0", o["use_tf32"]);
        Assert.Equal((2048L * 1024 * 1024).ToString(), o["gpu_mem_limit"]);
    }

    [Fact]
    public void CudaGraphsAreSwitchedOffWithAWarning()
    {
        var log = new ListLogger();
        var runtime = new FakeProviderRuntime();
        var choice = ExecutionProviders.Select(new InferenceOptions { Device = "cuda", EnableCudaGraph = true }, log, runtime);
        Assert.False(choice.Cuda!.EnableCudaGraph);
        Assert.Equal("0", runtime.Appended!.ToProviderOptions()["enable_cuda_graph"]);
        Assert.Single(log.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("EnableCudaGraph"));
    }

    [Fact]
    public void ProviderOptionsDefaultToTf32OnAndNoGraphs()
    {
        var o = CudaProviderSettings.From(new InferenceOptions()).ToProviderOptions();
        Assert.Equal("0", o["device_id"]);
        Assert.Equal("1", o["use_tf32"]);
        Assert.Equal("0", o["enable_cuda_graph"]);
        Assert.False(o.ContainsKey("gpu_mem_limit"));
        Assert.Equal("kSameAsRequested", o["arena_extend_strategy"]);
    }

    [Fact]
    public void RealProbeOnThisMachineEitherRunsOrFallsBackSayingWhy()
    {
        // On a CPU-only machine the GPU build of ONNX Runtime cannot load its CUDA provider library; on a GPU machine the
        // probe runs. Either way auto returns without throwing and says which provider runs.
        var log = new ListLogger();
        var choice = ExecutionProviders.Select(new InferenceOptions { Device = "auto" }, log);
        if (choice.Kind == ExecutionProviderKind.Cpu)
        {
            Assert.StartsWith("CUDA is unavailable: ", choice.Reason);
            Assert.NotEqual(ProviderFailureKind.Other, choice.Fallback!.Kind);
        }

        Assert.Single(log.Lines, l => l.Level == LogLevel.Information);
    }

    [Fact]
    public void UnknownDeviceIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ExecutionProviders.Normalize("tpu"));
        Assert.Contains("Inference:Device", ex.Message);
        Assert.Equal("cuda", ExecutionProviders.Normalize(" CUDA "));
    }

    [Fact]
    public void CudaGraphIdsAreStablePerShapeSignatureAndStartAtOne()
    {
        var ids = new CudaGraphIds { MaxGraphs = 2 };
        string a = CudaGraphIds.Signature([new HostTensor("x", new float[4], [1, 4]), new HostTensor("t", new float[1], [1])]);
        string b = CudaGraphIds.Signature([new HostTensor("x", new float[8], [2, 4]), new HostTensor("t", new float[2], [2])]);
        string c = CudaGraphIds.Signature([new HostTensor("x", new float[12], [3, 4]), new HostTensor("t", new float[3], [3])]);
        Assert.Equal(1, ids.For(a));
        Assert.Equal(2, ids.For(b));
        Assert.Equal(1, ids.For(a));
        Assert.Equal(-1, ids.For(c));
        // Order of inputs does not change the signature.
        Assert.Equal(a, CudaGraphIds.Signature([new HostTensor("t", new float[1], [1]), new HostTensor("x", new float[4], [1, 4])]));
    }

    [Fact]
    public void CpuSessionRunsAGraphAndCountsOrtTime()
    {
        var factory = new OnnxSessionFactory(new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "test", null), new InferenceOptions { IntraOpThreads = 1 });
        using var session = factory.Create("tiny", TinyOnnxModel.Add());
        var z = session.Run([new HostTensor("x", new float[] { 1, 2, 3 }, [3]), new HostTensor("y", new float[] { 10, 20, 30 }, [3])]);
        Assert.Equal([11f, 22f, 33f], z[0]);
        Assert.True(session.OrtTime > TimeSpan.Zero);
    }

    [Fact]
    public void SessionRunNamesMissingAndMisshapenInputs()
    {
        var factory = new OnnxSessionFactory(new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "test", null), new InferenceOptions());
        using var session = factory.Create("tiny", TinyOnnxModel.Add());
        var missing = Assert.Throws<ArgumentException>(() => session.Run([new HostTensor("x", new float[] { 1 }, [1])]));
        Assert.Contains("'y'", missing.Message);
        var shape = Assert.Throws<ArgumentException>(() => session.Run([new HostTensor("x", new float[] { 1 }, [2]), new HostTensor("y", new float[] { 1, 2 }, [2])]));
        Assert.Contains("'x'", shape.Message);
    }

    internal sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines) Lines.Add((logLevel, formatter(state, exception)));
        }
    }
}
