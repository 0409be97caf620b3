using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Tests.Runtime;

/// <summary>
/// The binding path the CUDA sessions use, run on CPU <see cref="OrtValue"/>s: same results as plain runs, buffers kept
/// per shape signature, static inputs bound once.
/// </summary>
public sealed class IoBindingRunnerTests
{
    private static InferenceSession AddSession() => new(TinyOnnxModel.Add(), new SessionOptions { IntraOpNumThreads = 1 });

    private static IReadOnlyDictionary<string, TensorElementType> Types(InferenceSession s) =>
        s.InputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.ElementDataType);

    private static float[] PlainRun(InferenceSession session, params HostTensor[] inputs)
    {
        var values = inputs.Select(t => OrtValue.CreateTensorValueFromMemory((float[])t.Data, t.Shape)).ToList();
        try
        {
            using var outputs = session.Run(new RunOptions(), inputs.Select(i => i.Name).ToList(), values, session.OutputNames);
            return outputs.First().GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    [Fact]
    public void BoundRunsEqualPlainRunsWithAndWithoutOutputShapes()
    {
        using var session = AddSession();
        using var placement = DevicePlacement.Cpu();
        using var runner = new IoBindingRunner(session, placement);
        var x = new HostTensor("x", new float[] { 1, 2, 3 }, [3]);
        var y = new HostTensor("y", new float[] { 10, 20, 30 }, [3]);
        var plain = PlainRun(session, x, y);
        Assert.Equal(plain, runner.Run([x, y], Types(session), ["z"], [[3]])[0]);
        Assert.Equal(plain, runner.Run([x, y], Types(session), ["z"], null)[0]);
        Assert.Equal([11f, 22f, 33f], plain);
    }

    [Fact]
    public void TheFp16ProbeGraphGivesTheSameBytesBoundAndPlain()
    {
        using var session = new InferenceSession(ProviderProbe.BuildModel(), new SessionOptions { IntraOpNumThreads = 1 });
        using var placement = DevicePlacement.Cpu();
        using var runner = new IoBindingRunner(session, placement);
        var x = new HostTensor("x", ProviderProbe.Input(), ProviderProbe.InputShape);
        Assert.Equal(PlainRun(session, x), runner.Run([x], Types(session), ["y"], [ProviderProbe.OutputShape])[0]);
    }

    [Fact]
    public void BuffersAreKeptPerShapeSignatureSoSwitchingBackReusesThem()
    {
        using var session = AddSession();
        using var placement = DevicePlacement.Cpu();
        using var runner = new IoBindingRunner(session, placement);
        HostTensor[] A(float v) => [new("x", new[] { v, v, v }, [3]), new("y", new float[] { 1, 1, 1 }, [3])];
        HostTensor[] B(float v) => [new("x", new[] { v, v, v, v, v }, [5]), new("y", new float[] { 2, 2, 2, 2, 2 }, [5])];
        string sigA = IoBindingRunner.SignatureOf(A(0), [[3]]), sigB = IoBindingRunner.SignatureOf(B(0), [[5]]);

        Assert.Equal([2f, 2f, 2f], runner.Run(A(1), Types(session), ["z"], [[3]])[0]);
        nint a = runner.StagingAddress(sigA, "x");
        Assert.Equal([5f, 5f, 5f, 5f, 5f], runner.Run(B(3), Types(session), ["z"], [[5]])[0]);
        nint b = runner.StagingAddress(sigB, "x");
        Assert.Equal([8f, 8f, 8f], runner.Run(A(7), Types(session), ["z"], [[3]])[0]);

        Assert.NotEqual(0, a);
        Assert.NotEqual(a, b);
        Assert.Equal(a, runner.StagingAddress(sigA, "x"));
        Assert.Equal(b, runner.StagingAddress(sigB, "x"));
        Assert.Equal(2, runner.SignatureCount);
    }

    [Fact]
    public void BeyondMaxSignaturesTheLeastRecentlyUsedIsReleased()
    {
        using var session = AddSession();
        using var placement = DevicePlacement.Cpu();
        using var runner = new IoBindingRunner(session, placement) { MaxSignatures = 2 };
        HostTensor[] Of(int n) => [new("x", new float[n], [n]), new("y", Enumerable.Repeat(1f, n).ToArray(), [n])];
        runner.Run(Of(1), Types(session), ["z"], [[1]]);
        runner.Run(Of(2), Types(session), ["z"], [[2]]);
        runner.Run(Of(1), Types(session), ["z"], [[1]]); // 1 is now the most recent
        Assert.Equal([1f, 1f, 1f], runner.Run(Of(3), Types(session), ["z"], [[3]])[0]);
        Assert.Equal(2, runner.SignatureCount);
        Assert.NotEqual(0, runner.StagingAddress(IoBindingRunner.SignatureOf(Of(1), [[1]]), "x"));
        Assert.Equal(0, runner.StagingAddress(IoBindingRunner.SignatureOf(Of(2), [[2]]), "x"));
    }

    [Fact]
    public void StaticInputsAreBoundOnceWhileTheSameArrayIsPassed()
    {
        using var session = AddSession();
        using var placement = DevicePlacement.Cpu();
        using var runner = new IoBindingRunner(session, placement);
        var prompt = new float[] { 100, 200, 300 };
        var types = Types(session);

        Assert.Equal([101f, 201f, 301f], runner.Run([new("x", new float[] { 1, 1, 1 }, [3]), new("y", prompt, [3], IsStatic: true)], types, ["z"], [[3]])[0]);
        Assert.Equal(2, runner.InputBinds);
        Assert.Equal([102f, 202f, 302f], runner.Run([new("x", new float[] { 2, 2, 2 }, [3]), new("y", prompt, [3], IsStatic: true)], types, ["z"], [[3]])[0]);
        Assert.Equal(3, runner.InputBinds); // only the step input

        // A new array (a new prompt) is bound again.
        var next = new float[] { 7, 8, 9 };
        Assert.Equal([8f, 9f, 10f], runner.Run([new("x", new float[] { 1, 1, 1 }, [3]), new("y", next, [3], IsStatic: true)], types, ["z"], [[3]])[0]);
        Assert.Equal(5, runner.InputBinds);
    }

    [Fact]
    public void AComponentSessionWithABindingPlacementMatchesThePlainCpuSession()
    {
        var choice = new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "test", null);
        using var plain = new OnnxSessionFactory(choice, new InferenceOptions { IntraOpThreads = 1 }).Create("probe", ProviderProbe.BuildModel());
        using var bound = new OnnxComponentSession("probe", new InferenceSession(ProviderProbe.BuildModel(), new SessionOptions { IntraOpNumThreads = 1 }), DevicePlacement.Cpu());
        HostTensor[] inputs = [new("x", ProviderProbe.Input(), ProviderProbe.InputShape)];
        var expected = plain.Run(inputs, [ProviderProbe.OutputShape])[0];
        Assert.Equal(expected, bound.Run(inputs, [ProviderProbe.OutputShape])[0]);
        var into = new float[expected.Length];
        bound.RunInto(inputs, [ProviderProbe.OutputShape], [into]);
        Assert.Equal(expected, into);
    }
}
