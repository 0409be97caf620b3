using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using SanaSprint.Cli.Commands;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Precision;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification.Precision;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Tests.Precision;

/// <summary>
/// The fp16 emulation rounds exactly the values the fp16 build holds in fp16 (weights included) and nothing in its fp32
/// islands, and the comparison it feeds reports finite errors.
/// </summary>
public sealed class Fp16EmulationTests
{
    private static readonly SanaTransformer2DConfig Tiny = new()
    {
        InChannels = 4, OutChannels = 4, NumAttentionHeads = 2, AttentionHeadDim = 4, NumLayers = 2,
        NumCrossAttentionHeads = 2, CrossAttentionHeadDim = 4, CrossAttentionDim = 8, CaptionChannels = 6, MlpRatio = 2,
        GuidanceEmbeds = true, QkNorm = SanaTransformer2DModel.RmsNormAcrossHeads,
    };

    private static float Round(float v) => (float)(Half)v;

    private static int HalfUlps(float a, float b) =>
        Math.Abs(BitConverter.HalfToInt16Bits((Half)a) - BitConverter.HalfToInt16Bits((Half)b));

    [Fact]
    public void ALinearBlockEqualsTheSameArithmeticRoundedThroughHalfAndItsSoftmaxIslandIsNotRounded()
    {
        using var tmp = new TempFolder("fp16-emulation-linear");
        const int N = 3, K = 5, M = 4;
        float[] w = TinyModels.Random(K * M, 11).Select(v => v * 0.7f).ToArray(), bias = TinyModels.Random(M, 12), x = TinyModels.Random(N * K, 13).Select(v => v * 3).ToArray();
        new SafetensorsWriter().AddF32("lin.weight", [K, M], w).AddF32("lin.bias", [M], bias).Save(tmp.File("model.safetensors"));
        using var weights = SafetensorsCheckpoint.Open(tmp.File("model.safetensors"));

        var g = new GraphBuilder("linear", GraphPrecision.Fp16, weights);
        var input = g.CastIfNeeded("in", g.Input("x", DT.Float, N, K), g.ComputeType);
        var y = g.Add("lin", g.MatMul("lin", input, g.Weight("lin.weight", [K, M])), g.Weight("lin.bias", [M]));
        var s = g.Softmax("soft", g.CastIfNeeded("soft/in", y, DT.Float));
        var product = g.Mul("scale", g.CastIfNeeded("soft/out", s, g.ComputeType), y);
        g.Output(g.CastIfNeeded("out", product, DT.Float), "out", N, M);

        int rounded = Fp16Emulation.Apply(g);
        g.Tap(y.Name, DT.Float);
        g.Tap(s.Name, DT.Float);
        string widenedWeight = $"lin.weight/{Fp16Emulation.Segment}/output_0";
        g.Tap(widenedWeight, DT.Float);
        string model = OnnxModelWriter.Save(g, tmp.File("emulated.onnx"), WeightStorage.SingleFile).ModelPath;
        var outputs = TinyModels.Run(model, new Dictionary<string, (Array, long[])> { ["x"] = (x, [N, K]) });

        // Rounded: the weight, the bias, the input cast, MatMul, Add, the island's exit cast and Mul; not the softmax.
        Assert.Equal(7, rounded);
        for (int i = 0; i < N; i++)
        {
            var yRow = new float[M];
            for (int j = 0; j < M; j++)
            {
                float acc = 0;
                for (int k = 0; k < K; k++) acc += Round(x[i * K + k]) * Round(w[k * M + j]);
                yRow[j] = Round(Round(acc) + Round(bias[j]));
                Assert.True(HalfUlps(outputs[y.Name].Data[i * M + j], yRow[j]) <= 1, $"y[{i},{j}]: {outputs[y.Name].Data[i * M + j]} vs {yRow[j]}");
            }

            float max = yRow.Max(), sum = yRow.Sum(v => MathF.Exp(v - max));
            for (int j = 0; j < M; j++)
            {
                float softmax = MathF.Exp(yRow[j] - max) / sum;
                Assert.Equal(softmax, outputs[s.Name].Data[i * M + j], 1e-6f);
                float expected = Round(Round(softmax) * yRow[j]);
                Assert.True(HalfUlps(outputs["out"].Data[i * M + j], expected) <= 1, $"out[{i},{j}]: {outputs["out"].Data[i * M + j]} vs {expected}");
            }
        }

        // The weight the MatMul reads is the checkpoint's, rounded to fp16 (and rounding changed it).
        Assert.Equal(w.Select(Round), outputs[widenedWeight].Data);
        Assert.Contains(w, v => Round(v) != v);

        // Values that are fp16 in the fp16 build sit on fp16's grid; the softmax island does not.
        Assert.All(outputs[y.Name].Data, v => Assert.Equal(Round(v), v));
        Assert.All(outputs["out"].Data, v => Assert.Equal(Round(v), v));
        Assert.Contains(outputs[s.Name].Data, v => Round(v) != v);
    }

    [Fact]
    public void OnATinyTransformerTheEmulationDiffersFromFp32ByAFewHalfUlpsAndRoundsExactlyTheNonIslandValues()
    {
        using var tmp = new TempFolder("fp16-emulation-tiny");
        string dir = TinyModels.WriteTransformer(tmp.File("t"), Tiny, seed: 5);
        var config = ComponentConfig.Load(dir);
        using var weights = SafetensorsCheckpoint.Open(config.Directory);
        string fp32 = OnnxModelWriter.Save(ModelCatalog.Build(config, weights, new ModelBuildOptions()), tmp.File("fp32.onnx"), WeightStorage.SingleFile).ModelPath;
        var g = ModelCatalog.Build(config, weights, new ModelBuildOptions { Precision = GraphPrecision.Fp16 });
        var before = g.Nodes.ToList();
        int rounded = Fp16Emulation.Apply(g);
        string emulated = OnnxModelWriter.Save(g, tmp.File("emulated.onnx"), WeightStorage.SingleFile).ModelPath;

        // Every fp16 node output of the fp16 build gets a rounding pair; no float32 value (an island) does.
        var casts = g.Nodes.Where(n => n.Name.Contains($"/{Fp16Emulation.Segment}/Cast", StringComparison.Ordinal)).Select(n => n.Name).ToHashSet();
        var nodeOutputs = before.SelectMany(n => n.Outputs).Where(v => v.Length > 0).ToList();
        var halfOutputs = nodeOutputs.Where(v => g.TypeOf(v) == DT.Float16).ToList();
        var islandOutputs = nodeOutputs.Where(v => g.TypeOf(v) == DT.Float).ToList();
        Assert.NotEmpty(islandOutputs);
        Assert.All(halfOutputs, v => Assert.Contains($"{v}/{Fp16Emulation.Segment}/Cast_1", casts));
        Assert.All(islandOutputs, v => Assert.DoesNotContain($"{v}/{Fp16Emulation.Segment}/Cast_1", casts));
        Assert.Equal(halfOutputs.Count + g.Weights.Count(w => w.Type == DT.Float16) + g.Graph.Initializer.Count(t => t.DataType == (int)DT.Float16), rounded);

        const int B = 2, H = 4, W = 4, L = 5;
        var inputs = new Dictionary<string, (Array, long[])>
        {
            ["hidden_states"] = (TinyModels.Random(B * 4 * H * W, 1), [B, 4, H, W]),
            ["encoder_hidden_states"] = (TinyModels.Random(B * L * 6, 2), [B, L, 6]),
            ["encoder_attention_mask"] = (new long[] { 1, 1, 1, 0, 0, 1, 1, 1, 1, 1 }, [B, L]),
            ["timestep"] = (new[] { 0.4f, 0.9f }, [B]),
            ["guidance"] = (new[] { 0.45f, 0.45f }, [B]),
        };
        var reference = TinyModels.Run(fp32, inputs)["sample"].Data;
        var actual = TinyModels.Run(emulated, inputs)["sample"].Data;
        double error = Fp16EmulationComparison.RelativeRms(actual, reference);
        Assert.True(error > 1e-5 && error < 2e-2, $"relative RMS {error}");
        Assert.All(actual, v => Assert.True(float.IsFinite(v)));

        Assert.Throws<ArgumentException>(() => Fp16Emulation.Apply(ModelCatalog.Build(config, weights, new ModelBuildOptions())));
    }

    [Fact]
    public void TheVerbPrintsFiniteErrorsForTextAndControlNetFramesOfTheDemo()
    {
        using var tmp = new TempFolder("fp16-emulation-cli");
        var demo = EmbeddedDemoCheckpoint.Instance.EnsureCreated(tmp.Path);
        var output = new StringWriter();
        var error = new StringWriter();
        var defaults = new PrecisionAuditSettings { PipelineDirectory = demo.PipelineDirectory, CacheDirectory = tmp.Path };
        int code = EmulateFp16Command.Run(defaults with
        {
            ControlNetDirectory = demo.ControlNetDirectory, Width = 64, Height = 64, Prompts = [defaults.Prompts[0]], Seeds = [0], Threads = 2,
        }, output, error, CancellationToken.None);

        Assert.True(code == 0, error.ToString());
        var rows = Regex.Matches(output.ToString(), @"^(Text|ControlNet)\s+0\s+(\S+)\s+(\S+)\s", RegexOptions.Multiline);
        Assert.Equal([nameof(GuidanceMode.Text), nameof(GuidanceMode.ControlNet)], rows.Select(m => m.Groups[1].Value));
        foreach (Match row in rows)
        {
            double rms = double.Parse(row.Groups[2].Value, CultureInfo.InvariantCulture), psnr = double.Parse(row.Groups[3].Value, CultureInfo.InvariantCulture);
            Assert.True(rms > 0 && rms < 0.05, $"latent relative RMS {rms}");
            Assert.True(double.IsFinite(psnr) && psnr > 30, $"PSNR {psnr}");
        }

        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "fp16-emulation")) && Directory.EnumerateFileSystemEntries(Path.Combine(tmp.Path, "fp16-emulation")).Any());
    }
}
