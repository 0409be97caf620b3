using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Onnx.Proto;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Runtime;

/// <summary>What the start-up probe found.</summary>
/// <param name="Provider">"CPU" or "CUDA".</param>
/// <param name="Elapsed">Provider load, session creation and the run, together.</param>
/// <param name="MaxError">Largest absolute difference from the host reference (NaN when it did not run).</param>
/// <param name="Failure">Why it failed, or null.</param>
public sealed record ProbeResult(string Provider, TimeSpan Elapsed, double MaxError, ProviderFailure? Failure)
{
    /// <summary>True when the probe ran and matched the host reference.</summary>
    public bool Succeeded => Failure is null;
}

/// <summary>
/// A real start-up check of an execution provider: a tiny fp16 graph (Conv 3×3 → MatMul, the two kinds of kernel the
/// models need: cuDNN convolutions and cuBLAS GEMMs) is created on the provider and run through the same
/// <see cref="IoBindingRunner"/> the model sessions use, and its output is compared with a host computation. Loading
/// the provider alone proves little: ONNX Runtime's CUDA provider opens cuDNN only when a kernel first needs it, and
/// the CUDA context (where a too-old driver or a bad device id shows) is made when the session is created.
/// </summary>
public static class ProviderProbe
{
    private const int Channels = 4, Size = 8;

    /// <summary>Input shape <c>[1, 4, 8, 8]</c>.</summary>
    public static long[] InputShape { get; } = [1, Channels, Size, Size];

    /// <summary>Output shape <c>[1, 64, 4]</c> (tokens × channels).</summary>
    public static long[] OutputShape { get; } = [1, Size * Size, Channels];

    /// <summary>Largest accepted absolute error (fp16 weights and activations, values of order 1).</summary>
    public const double Tolerance = 2e-2;

    /// <summary>Builds the probe graph: <c>x</c> float32 → Cast fp16 → Conv 3×3 (pad 1) → tokens → MatMul → Cast float32 → <c>y</c>.</summary>
    /// <returns>The serialized model.</returns>
    public static byte[] BuildModel()
    {
        var g = new GraphBuilder("provider_probe", GraphPrecision.Fp16, null);
        var x = g.Input("x", DT.Float, InputShape.Cast<object>().ToArray());
        var h = g.Cast("probe/input/Cast", x, DT.Float16);
        var w = g.Reshape("probe/conv/weight", g.Floats(DT.Float16, ConvWeight()), Channels, Channels, 3, 3);
        var b = g.Floats(DT.Float16, ConvBias());
        h = g.Conv("probe/conv", h, w, b, [3, 3], pads: [1, 1, 1, 1]);
        h = g.Reshape("probe/tokens", h, 1, Channels, Size * Size);
        h = g.Transpose("probe/tokens", h, 0, 2, 1);
        var m = g.Reshape("probe/proj/weight", g.Floats(DT.Float16, ProjWeight()), Channels, Channels);
        h = g.MatMul("probe/proj", h, m);
        var y = g.Cast("probe/output/Cast", h, DT.Float);
        g.Output(y, "y", OutputShape.Cast<object>().ToArray());
        var model = new ModelProto { IrVersion = GraphBuilder.IrVersion, ProducerName = "SanaSprint", Graph = g.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = GraphBuilder.Opset });
        return model.ToByteArray();
    }

    /// <summary>The probe's input: a fixed ramp in [−1, 1].</summary>
    public static float[] Input() => Enumerable.Range(0, Channels * Size * Size).Select(i => (float)Math.Sin(0.37 * i)).ToArray();

    /// <summary>The expected output, computed on the host in double precision from the fp16-rounded weights.</summary>
    public static float[] Expected()
    {
        var x = Input().Select(v => (double)(Half)v).ToArray();
        var w = ConvWeight().Select(v => (double)(Half)v).ToArray();
        var bias = ConvBias().Select(v => (double)(Half)v).ToArray();
        var p = ProjWeight().Select(v => (double)(Half)v).ToArray();
        var conv = new double[Channels, Size * Size];
        for (int o = 0; o < Channels; o++)
            for (int r = 0; r < Size; r++)
                for (int c = 0; c < Size; c++)
                {
                    double s = bias[o];
                    for (int i = 0; i < Channels; i++)
                        for (int kr = 0; kr < 3; kr++)
                            for (int kc = 0; kc < 3; kc++)
                            {
                                int rr = r + kr - 1, cc = c + kc - 1;
                                if (rr < 0 || rr >= Size || cc < 0 || cc >= Size) continue;
                                s += w[((o * Channels + i) * 3 + kr) * 3 + kc] * x[(i * Size + rr) * Size + cc];
                            }
                    conv[o, r * Size + c] = s;
                }

        var y = new float[Size * Size * Channels];
        for (int t = 0; t < Size * Size; t++)
            for (int j = 0; j < Channels; j++)
            {
                double s = 0;
                for (int k = 0; k < Channels; k++) s += conv[k, t] * p[k * Channels + j];
                y[t * Channels + j] = (float)s;
            }

        return y;
    }

    /// <summary>Runs the probe on a provider.</summary>
    /// <param name="kind">CPU or CUDA.</param>
    /// <param name="cuda">CUDA settings (CUDA only).</param>
    /// <param name="runtime">The seam to the machine.</param>
    /// <returns>The result; never throws for provider failures.</returns>
    public static ProbeResult Run(ExecutionProviderKind kind, CudaProviderSettings? cuda, IProviderRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        cuda ??= new CudaProviderSettings();
        string name = kind == ExecutionProviderKind.Cuda ? "CUDA" : "CPU";
        long started = Stopwatch.GetTimestamp();
        string stage = "loading the provider";
        try
        {
            using var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogId = "provider_probe", IntraOpNumThreads = 1 };
            if (kind == ExecutionProviderKind.Cuda)
            {
                // Every node on CUDA, or creating the session fails: the probe must exercise the CUDA kernels.
                so.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
                runtime.AppendCuda(so, cuda);
            }

            stage = "creating a session";
            using var session = runtime.CreateSession(BuildModel(), so);
            stage = "running the probe";
            using var placement = kind == ExecutionProviderKind.Cuda ? runtime.CudaPlacement(cuda.DeviceId) : DevicePlacement.Cpu();
            using var runner = new IoBindingRunner(session, placement);
            var types = session.InputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.ElementDataType);
            var y = runner.Run([new HostTensor("x", Input(), InputShape)], types, ["y"], [OutputShape])[0];
            var expected = Expected();
            double maxError = 0;
            for (int i = 0; i < y.Length; i++) maxError = Math.Max(maxError, double.IsFinite(y[i]) ? Math.Abs(y[i] - expected[i]) : double.PositiveInfinity);
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (!(maxError <= Tolerance))
                return new(name, elapsed, maxError, new ProviderFailure(ProviderFailureKind.WrongResult, stage,
                    $"The {name} probe ran but its result differs from the host reference by {maxError:G3} (tolerance {Tolerance}).",
                    "Update the NVIDIA driver and cuDNN; run `sanasprint doctor`.", $"max |error| = {maxError:G3}"));
            return new(name, elapsed, maxError, null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not StackOverflowException)
        {
            return new(name, Stopwatch.GetElapsedTime(started), double.NaN, ProviderDiagnosis.Classify(ex, stage, runtime, cuda.DeviceId));
        }
    }

    private static double[] ConvWeight() => Enumerable.Range(0, Channels * Channels * 9).Select(i => 0.25 * Math.Cos(0.61 * i)).ToArray();

    private static double[] ConvBias() => Enumerable.Range(0, Channels).Select(i => 0.1 * (i - 1.5)).ToArray();

    private static double[] ProjWeight() => Enumerable.Range(0, Channels * Channels).Select(i => 0.5 * Math.Sin(1.3 * i + 0.2)).ToArray();
}
