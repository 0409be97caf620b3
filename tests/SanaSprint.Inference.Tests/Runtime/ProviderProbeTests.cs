using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Tests.Runtime;

/// <summary>The start-up probe: a real fp16 Conv + MatMul run, compared with a host computation.</summary>
public sealed class ProviderProbeTests
{
    [Fact]
    public void TheProbeRunsOnCpuAndMatchesTheHostReference()
    {
        var result = ProviderProbe.Run(ExecutionProviderKind.Cpu, null, SystemProviderRuntime.Instance);
        Assert.True(result.Succeeded, result.Failure?.ToString());
        Assert.Equal("CPU", result.Provider);
        Assert.InRange(result.MaxError, 0, ProviderProbe.Tolerance);
    }

    [Fact]
    public void TheProbeGraphIsFp16ConvAndMatMul()
    {
        var model = SanaSprint.Inference.Onnx.Proto.ModelProto.Parser.ParseFrom(ProviderProbe.BuildModel());
        var ops = model.Graph.Node.Select(n => n.OpType).ToList();
        Assert.Contains("Conv", ops);
        Assert.Contains("MatMul", ops);
        var fp16 = (int)SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType.Float16;
        Assert.All(model.Graph.Initializer.Where(i => i.Dims.Count > 0 && i.DataType != (int)SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType.Int64), i => Assert.Equal(fp16, i.DataType));
    }

    [Fact]
    public void AFailureAtEachStageIsReportedWithThatStage()
    {
        var load = ProviderProbe.Run(ExecutionProviderKind.Cuda, null, new FakeProviderRuntime
        {
            AppendError = () => FakeProviderRuntime.MissingLibraryError("libcudart.so.13"), Missing = { "libcudart.so.13" },
        });
        Assert.False(load.Succeeded);
        Assert.Equal("loading the provider", load.Failure!.Stage);
        Assert.Contains("libcudart.so.13", load.Failure.Summary);

        var session = ProviderProbe.Run(ExecutionProviderKind.Cuda, new CudaProviderSettings { DeviceId = 5 }, new FakeProviderRuntime
        {
            SessionError = () => new InvalidOperationException("CUDA failure 101: invalid device ordinal ; GPU=5"),
        });
        Assert.Equal("creating a session", session.Failure!.Stage);
        Assert.Equal(ProviderFailureKind.BadDeviceId, session.Failure.Kind);
        Assert.Contains("Inference:DeviceId = 5", session.Failure.Summary);
    }

    [Fact]
    public void OnThisMachineTheCudaProbeEitherRunsOrNamesWhatIsMissing()
    {
        var result = ProviderProbe.Run(ExecutionProviderKind.Cuda, null, SystemProviderRuntime.Instance);
        if (result.Succeeded) return;
        Assert.NotEqual(ProviderFailureKind.Other, result.Failure!.Kind);
        Assert.Matches(@"lib[\w.]+\.so|driver|device|cuDNN|CPU-only", result.Failure.Summary);
    }
}
