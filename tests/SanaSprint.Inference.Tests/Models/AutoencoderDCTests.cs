using System.Text.Json;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;
using Xunit.Abstractions;

namespace SanaSprint.Inference.Tests.Models;

public sealed class AutoencoderDCTests(ITestOutputHelper output)
{
    // ------------------------------------------------------------------ golden cases (diffusers reference)

    [Theory]
    [InlineData("dcae_decoder_tiny")]
    [InlineData("dcae_decoder_tiny_mixedattn")]
    [InlineData("dcae_encoder_tiny")]
    public void Fp32GraphMatchesDiffusersWithin1e4(string caseName)
    {
        string dir = TestPaths.GoldenCase(caseName);
        var verifier = new AutoencoderDCGoldenVerifier();
        Assert.True(verifier.CanVerify(dir));

        var report = verifier.Verify(dir);

        var comparison = Assert.Single(report.Comparisons);
        output.WriteLine($"{caseName} fp32: {comparison}");
        Assert.True(report.Passed, $"{caseName}: {comparison}");
        Assert.True(comparison.MaxRelError < 1e-4, $"{caseName}: {comparison}");
        TensorAssert.Holds(report);
    }

    [Theory]
    [InlineData("dcae_decoder_tiny")]
    [InlineData("dcae_decoder_tiny_mixedattn")]
    [InlineData("dcae_encoder_tiny")]
    public void Fp16GraphStaysWithinOnePercentRelativeRms(string caseName)
    {
        string dir = TestPaths.GoldenCase(caseName);
        var report = new AutoencoderDCGoldenVerifier(GraphPrecision.Fp16).Verify(dir);

        var comparison = Assert.Single(report.Comparisons);
        output.WriteLine($"{caseName} fp16: {comparison}, relative RMS ≤ {comparison.Tolerance}");
        Assert.True(report.Passed, $"{caseName} fp16: {comparison}");
        TensorAssert.Holds(report, relativeRms: 1e-2);
        // fp16 really ran in fp16: it is not bit-identical to the reference.
        Assert.True(comparison.MaxAbsError > 0, $"{caseName} fp16: {comparison}");
    }

    [Fact]
    public void VerifierHoldsTheEncoderRelativeAndTheDecoderElementwise()
    {
        float[] reference = [16f, -8f, 0.5f, 0f];
        float[] Shift(float delta) => reference.Select((v, i) => i == 2 ? v + delta : v).ToArray();
        var fp32 = new AutoencoderDCGoldenVerifier();

        // 1e-3 off on a 0.5 value: 6e-5 of max|ref| (encoder passes), but beyond 1e-4 + 1e-4·0.5 (decoder fails).
        Assert.True(fp32.Compare(AutoencoderDCPart.Encoder, "latent", Shift(1e-3f), reference).Passed);
        Assert.False(fp32.Compare(AutoencoderDCPart.Decoder, "sample", Shift(1e-3f), reference).Passed);
        Assert.False(fp32.Compare(AutoencoderDCPart.Encoder, "latent", Shift(3e-3f), reference).Passed);
        Assert.True(fp32.Compare(AutoencoderDCPart.Decoder, "sample", Shift(5e-5f), reference).Passed);
        Assert.False(new AutoencoderDCGoldenVerifier(GraphPrecision.Fp16).Compare(AutoencoderDCPart.Decoder, "sample", Shift(0.5f), reference).Passed);
    }

    [Fact]
    public void VerifierClaimsOnlyAutoencoderDCFolders()
    {
        var verifier = new AutoencoderDCGoldenVerifier();
        Assert.True(verifier.CanVerify(TestPaths.GoldenCase("dcae_encoder_tiny")));
        Assert.False(verifier.CanVerify(TestPaths.GoldenCase("transformer_sprint_tiny")));
        Assert.False(verifier.CanVerify(TestPaths.GoldenCase("pipeline_sprint_tiny")));
    }

    [Fact]
    public void GoldenDecoderGraphNamesNodesByModulePathAndWeightsByKey()
    {
        string dir = TestPaths.GoldenCase("dcae_decoder_tiny");
        var config = ComponentConfig.Load(dir).Deserialize<AutoencoderDCConfig>();
        using var weights = SafetensorsCheckpoint.Open(dir);

        var builder = AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights);
        var graph = builder.Graph;

        var nodes = graph.Node.Select(n => n.Name).ToHashSet();
        Assert.Contains("decoder.conv_in/Conv", nodes);
        Assert.Contains("decoder.up_blocks.3.1.attn.to_qkv_multiscale.0.proj_in/Conv", nodes);
        Assert.Contains("decoder.up_blocks.2.0.conv/Conv", nodes);
        Assert.Contains("decoder.up_blocks.0.1.norm/ReduceMean", nodes);
        Assert.Contains("decoder.conv_act/Relu", nodes);
        // Every decoder tensor of the checkpoint is an initializer under its own key, and nothing else is.
        var decoderKeys = weights.Names.Where(n => n.StartsWith("decoder.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(decoderKeys, builder.Weights.Select(w => w.Key).Order(StringComparer.Ordinal).ToList());
        // Dynamic spatial size: each EfficientViT block decides its branch at run time (2 stages × 2 layers).
        Assert.Equal(4, graph.Node.Count(n => n.OpType == "If"));
        Assert.Equal(new[] { "batch", "8", "latent_height", "latent_width" }, DimTexts(graph.Input.Single()));
        Assert.Equal(new[] { "batch", "3", "height", "width" }, DimTexts(graph.Output.Single()));
    }

    [Theory]
    [InlineData("dcae_decoder_tiny")]
    [InlineData("dcae_decoder_tiny_mixedattn")]
    [InlineData("dcae_encoder_tiny")]
    public void ParameterListMatchesTheDiffusersCheckpointExactly(string caseName)
    {
        string dir = TestPaths.GoldenCase(caseName);
        var config = ComponentConfig.Load(dir).Deserialize<AutoencoderDCConfig>();
        using var weights = SafetensorsCheckpoint.Open(dir);

        var expected = weights.Names.Order(StringComparer.Ordinal).Select(n => $"{n} {weights.GetInfo(n).ShapeText}").ToList();
        var listed = ParameterShapes.ForAutoencoderDC(config).Select(p => $"{p.Key} {SafetensorsTensorInfo.FormatShape(p.Shape)}").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(expected, listed);
    }

    [Fact]
    public void FixedSizeBuildChoosesQuadraticAttentionWhereHwIsAtMostHeadDim()
    {
        // mixedattn: attention_head_dim 16; a 4×4 latent gives 16 tokens at stage 3 (quadratic) and 64 at stage 2 (linear).
        string dir = TestPaths.GoldenCase("dcae_decoder_tiny_mixedattn");
        var config = ComponentConfig.Load(dir).Deserialize<AutoencoderDCConfig>();
        using var weights = SafetensorsCheckpoint.Open(dir);

        var graph = AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights,
            new AutoencoderDCBuildOptions { InputSize = (4, 4) }).Graph;

        var names = graph.Node.Select(n => n.Name).ToList();
        Assert.DoesNotContain(graph.Node, n => n.OpType == "If");
        Assert.Contains("decoder.up_blocks.3.0.attn/quadratic/MatMul", names);
        Assert.Contains("decoder.up_blocks.3.1.attn/quadratic/MatMul", names);
        Assert.DoesNotContain(names, n => n.StartsWith("decoder.up_blocks.3.0.attn/linear", StringComparison.Ordinal));
        Assert.Contains("decoder.up_blocks.2.1.attn/linear/Div", names);
        Assert.DoesNotContain(names, n => n.StartsWith("decoder.up_blocks.2.1.attn/quadratic", StringComparison.Ordinal));
        Assert.Equal(new[] { "batch", "8", "4", "4" }, DimTexts(graph.Input.Single()));
        Assert.Equal(new[] { "batch", "3", "32", "32" }, DimTexts(graph.Output.Single()));
    }

    [Fact]
    public void FixedSizeAndRunTimeBranchGraphsAgreeOnTheGoldenMixedCase()
    {
        string dir = TestPaths.GoldenCase("dcae_decoder_tiny_mixedattn");
        var config = ComponentConfig.Load(dir).Deserialize<AutoencoderDCConfig>();
        using var weights = SafetensorsCheckpoint.Open(dir);
        using var golden = GoldenCase.Open(dir);
        var z = golden.Read("in.z");
        var expected = golden.Read("out.sample").AsFloats();

        var fixedSize = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights,
            new AutoencoderDCBuildOptions { InputSize = (4, 4) }), "z", z.AsFloats(), z.Shape);

        TensorAssert.AllClose(expected, fixedSize, 1e-4, 1e-4, "out.sample");
    }

    // ------------------------------------------------------------------ CLI export contract

    [Theory]
    [InlineData("dcae_encoder_tiny", "encoder", "fp32")]
    [InlineData("dcae_decoder_tiny_mixedattn", "decoder", "fp32")]
    [InlineData("dcae_encoder_tiny", "encoder", "fp16")]
    [InlineData("dcae_decoder_tiny", "decoder", "fp16")]
    public void CliExportOfAVaeFolderRunsInOnnxRuntime(string caseName, string part, string precision)
    {
        using var tmp = new TempFolder();
        string dir = TestPaths.GoldenCase(caseName);
        string model = tmp.File("vae.onnx");
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int code = SanaSprint.Cli.Commands.ExportCommand.Run(dir, model,
            SanaSprint.Cli.Commands.ExportCommand.Options(part, 0, "diffusers", null, precision), stdout, stderr);

        Assert.True(code == 0, stderr.ToString());
        Assert.True(File.Exists(model + ".data"));
        using var golden = GoldenCase.Open(dir);
        var p = part == "encoder" ? AutoencoderDCPart.Encoder : AutoencoderDCPart.Decoder;
        var input = golden.Read("in." + AutoencoderDC.InputName(p));
        var expected = golden.Read("out." + AutoencoderDC.OutputName(p)).AsFloats();
        var actual = RunModelFile(model, AutoencoderDC.InputName(p), input.AsFloats(), input.Shape, out var outputName, out var shape);
        Assert.Equal(AutoencoderDC.OutputName(p), outputName);
        Assert.Equal(golden.Read("out." + outputName).Shape, shape);
        var verifier = new AutoencoderDCGoldenVerifier(precision == "fp16" ? GraphPrecision.Fp16 : GraphPrecision.Fp32);
        var comparison = verifier.Compare(p, outputName, actual, expected);
        output.WriteLine($"CLI {part} {precision} {caseName}: {comparison}");
        Assert.True(comparison.Passed, comparison.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("both")]
    public void CliExportOfAVaeFolderNeedsAPart(string? part)
    {
        using var tmp = new TempFolder();
        var stderr = new StringWriter();

        int code = SanaSprint.Cli.Commands.ExportCommand.Run(TestPaths.GoldenCase("dcae_decoder_tiny"), tmp.File("vae.onnx"),
            SanaSprint.Cli.Commands.ExportCommand.Options(part, 0, "diffusers", null, "fp32"), new StringWriter(), stderr);

        Assert.Equal(1, code);
        Assert.Contains("AutoencoderDC", stderr.ToString());
        Assert.Contains("encoder or decoder", stderr.ToString());
        Assert.False(File.Exists(tmp.File("vae.onnx")));
    }

    // ------------------------------------------------------------------ tiny random models of other shapes

    [Fact]
    public void RandomModelOfOtherWidthsRunsEncoderAndDecoderOnNonSquareSizes()
    {
        using var tmp = new TempFolder();
        var config = TinyConfig();
        TinyCheckpoint.Write(tmp.Path, config, seed: 11);
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);
        var rng = new Random(3);

        // 3 stages → f = 4; a 24×40 image ↔ a 6×10 latent.
        var x = RandomArray(rng, 2 * 3 * 24 * 40);
        var latent = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Encoder, config, weights), "x", x, [2, 3, 24, 40], out var latentShape);
        Assert.Equal(new long[] { 2L, 4, 6, 10 }, latentShape);
        Assert.All(latent, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(latent, v => v != 0);

        var sample = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights), "z", latent, latentShape, out var sampleShape);
        Assert.Equal(new long[] { 2L, 3, 24, 40 }, sampleShape);
        Assert.All(sample, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(sample, v => v != 0);
    }

    [Fact]
    public void BatchItemsAreComputedIndependently()
    {
        using var tmp = new TempFolder();
        var config = TinyConfig();
        TinyCheckpoint.Write(tmp.Path, config, seed: 5);
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);
        var rng = new Random(9);
        var z = RandomArray(rng, 2 * 4 * 3 * 5);

        var decoder = AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights);
        var both = RunGraph(decoder, "z", z, [2, 4, 3, 5]);
        var second = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights), "z", z[(4 * 3 * 5)..], [1, 4, 3, 5]);

        var bothSecond = both[(both.Length / 2)..];
        TensorAssert.AllClose(second, bothSecond, 1e-5, 1e-5, "second item");
    }

    [Theory]
    [InlineData(1, 2)]   // deepest stage 1×2 = 2 tokens ≤ 8: quadratic in stage 2 (and 2×4 = 8 ≤ 8 in stage 1)
    [InlineData(3, 5)]   // 15 tokens > 8: linear everywhere
    public void RunTimeBranchSelectionMatchesBuildTimeSelection(int height, int width)
    {
        using var tmp = new TempFolder();
        var config = TinyConfig();
        TinyCheckpoint.Write(tmp.Path, config, seed: 21);
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);
        var z = RandomArray(new Random(height * 10 + width), 4 * height * width);
        long[] shape = [1, 4, height, width];

        var dynamic = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights), "z", z, shape);
        var fixedSize = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights,
            new AutoencoderDCBuildOptions { InputSize = (height, width) }), "z", z, shape);

        TensorAssert.AllClose(fixedSize, dynamic, 1e-5, 1e-5, "sample");
    }

    [Fact]
    public void PixelShuffleAndPixelUnshuffleModesWithAnEmptyFirstStageRun()
    {
        using var tmp = new TempFolder();
        var config = TinyConfig() with
        {
            DownsampleBlockType = "pixel_unshuffle",
            UpsampleBlockType = "pixel_shuffle",
            EncoderLayersPerBlock = [0, 1, 1],
            DecoderLayersPerBlock = [0, 1, 2],
            DecoderBlockTypes = ["ResBlock", "ResBlock", "EfficientViTBlock"],
            DecoderActFns = ["relu", "mish", "gelu"],
        };
        TinyCheckpoint.Write(tmp.Path, config, seed: 2);
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);
        var x = RandomArray(new Random(4), 3 * 16 * 8);

        var latent = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Encoder, config, weights), "x", x, [1, 3, 16, 8], out var latentShape);
        var sample = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights), "z", latent, latentShape, out var sampleShape);

        Assert.Equal(new long[] { 1L, 4, 4, 2 }, latentShape);
        Assert.Equal(new long[] { 1L, 3, 16, 8 }, sampleShape);
        Assert.All(sample, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(sample, v => v != 0);
    }

    [Fact]
    public void Fp16RandomModelStaysCloseToFp32()
    {
        using var tmp = new TempFolder();
        var config = TinyConfig();
        TinyCheckpoint.Write(tmp.Path, config, seed: 8);
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);
        var z = RandomArray(new Random(1), 2 * 4 * 4 * 6);

        var fp32 = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights), "z", z, [2, 4, 4, 6]);
        var fp16 = RunGraph(AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights,
            new AutoencoderDCBuildOptions { Precision = GraphPrecision.Fp16 }), "z", z, [2, 4, 4, 6]);

        double rms = TensorAssert.RelativeRms(fp32, fp16);
        output.WriteLine($"random decoder fp16 vs fp32 relative RMS {rms:E2}");
        Assert.InRange(rms, 1e-7, 1e-2);
    }

    // ------------------------------------------------------------------ bad checkpoints and configs

    [Fact]
    public void MisShapedTensorIsNamedWithBothShapes()
    {
        using var tmp = new TempFolder();
        var config = TinyConfig();
        TinyCheckpoint.Write(tmp.Path, config, seed: 1,
            mutate: p => p.Key == "decoder.up_blocks.2.0.attn.to_out.weight" ? p with { Shape = [16, 16] } : p);
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);

        var ex = Assert.Throws<CheckpointException>(() => AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights));

        Assert.Equal("decoder.up_blocks.2.0.attn.to_out.weight", ex.TensorName);
        Assert.Contains("[16, 16]", ex.Message);
        Assert.Contains("[16, 48]", ex.Message);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using var tmp = new TempFolder();
        var config = TinyConfig();
        TinyCheckpoint.Write(tmp.Path, config, seed: 1, mutate: p => p.Key == "encoder.down_blocks.1.0.conv_out.norm.bias" ? null : p);
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);

        var ex = Assert.Throws<CheckpointException>(() => AutoencoderDC.Build(AutoencoderDCPart.Encoder, config, weights));

        Assert.Equal("encoder.down_blocks.1.0.conv_out.norm.bias", ex.TensorName);
        Assert.Contains("missing", ex.Message);
    }

    [Fact]
    public void UnexpectedTensorUnderThePartsPrefixIsAnError()
    {
        using var tmp = new TempFolder();
        var config = TinyConfig();
        TinyCheckpoint.Write(tmp.Path, config, seed: 1, extra: ("decoder.up_blocks.0.9.conv1.weight", [8, 8, 3, 3]));
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);

        // The encoder does not care about a stray decoder tensor; the decoder does.
        AutoencoderDC.Build(AutoencoderDCPart.Encoder, config, weights);
        var ex = Assert.Throws<CheckpointException>(() => AutoencoderDC.Build(AutoencoderDCPart.Decoder, config, weights));

        Assert.Equal("decoder.up_blocks.0.9.conv1.weight", ex.TensorName);
        Assert.Contains("unexpected", ex.Message);
    }

    [Fact]
    public void InconsistentOrUnsupportedConfigsNameTheKey()
    {
        var config = TinyConfig();
        Assert.Contains("`decoder_layers_per_block`", Assert.Throws<CheckpointException>(() =>
            AutoencoderDC.Validate(config with { DecoderLayersPerBlock = [1, 1] }, "vae/config.json")).Message);
        Assert.Contains("`decoder_norm_types[1]`", Assert.Throws<CheckpointException>(() =>
            AutoencoderDC.Validate(config with { DecoderNormTypes = ["rms_norm", "batch_norm", "rms_norm"] })).Message);
        Assert.Contains("`encoder_block_types[2]`", Assert.Throws<CheckpointException>(() =>
            AutoencoderDC.Validate(config with { EncoderBlockTypes = ["ResBlock", "ResBlock", "AttnBlock"] })).Message);
        Assert.Contains("`upsample_block_type`", Assert.Throws<CheckpointException>(() =>
            AutoencoderDC.Validate(config with { UpsampleBlockType = "bilinear" })).Message);
        Assert.Contains("`decoder_conv_act_fn`", Assert.Throws<CheckpointException>(() =>
            AutoencoderDC.Validate(config with { DecoderConvActFn = "tanhshrink" })).Message);
        Assert.StartsWith("vae/config.json", Assert.Throws<CheckpointException>(() =>
            AutoencoderDC.Validate(config with { LatentChannels = 5 }, "vae/config.json")).Message);
    }

    [Fact]
    public void FixedEncoderSizeMustBeAMultipleOfTheCompression()
    {
        using var tmp = new TempFolder();
        var config = TinyConfig();
        TinyCheckpoint.Write(tmp.Path, config, seed: 1);
        using var weights = SafetensorsCheckpoint.Open(tmp.Path);

        var ex = Assert.Throws<ArgumentException>(() => AutoencoderDC.Build(AutoencoderDCPart.Encoder, config, weights,
            new AutoencoderDCBuildOptions { InputSize = (30, 32) }));
        Assert.Contains("divisible by the spatial compression 4", ex.Message);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>3 stages (f = 4) of other widths than the golden cases, a two-kernel multiscale attention, head dim 8.</summary>
    internal static AutoencoderDCConfig TinyConfig() => new()
    {
        InChannels = 3,
        LatentChannels = 4,
        AttentionHeadDim = 8,
        EncoderBlockTypes = ["ResBlock", "EfficientViTBlock", "EfficientViTBlock"],
        DecoderBlockTypes = ["ResBlock", "EfficientViTBlock", "EfficientViTBlock"],
        EncoderBlockOutChannels = [8, 16, 16],
        DecoderBlockOutChannels = [8, 16, 16],
        EncoderLayersPerBlock = [1, 1, 2],
        DecoderLayersPerBlock = [2, 1, 1],
        EncoderQkvMultiscales = [[], [3], [3, 5]],
        DecoderQkvMultiscales = [[], [5], [3, 5]],
        UpsampleBlockType = "interpolate",
        DownsampleBlockType = "conv",
        DecoderNormTypes = ["rms_norm"],
        DecoderActFns = ["silu"],
        ScalingFactor = 0.5,
    };

    private static float[] RandomArray(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    private static string[] DimTexts(SanaSprint.Inference.Onnx.Proto.ValueInfoProto v) =>
        v.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    internal static float[] RunGraph(GraphBuilder graph, string input, float[] data, long[] shape) => RunGraph(graph, input, data, shape, out _);

    internal static float[] RunGraph(GraphBuilder graph, string input, float[] data, long[] shape, out long[] outputShape)
    {
        using var tmp = new TempFolder();
        var saved = OnnxModelWriter.Save(graph, tmp.File("model.onnx"), WeightStorage.SingleFile);
        return RunModelFile(saved.ModelPath, input, data, shape, out _, out outputShape);
    }

    /// <summary>Runs a saved single-input, single-output graph on ONNX Runtime CPU.</summary>
    internal static float[] RunModelFile(string modelPath, string input, float[] data, long[] shape, out string outputName, out long[] outputShape)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(modelPath);
        outputName = Assert.Single(session.OutputNames);
        Assert.Equal(input, Assert.Single(session.InputNames));
        using var value = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var outputs = session.Run(runOptions, [input], [value], session.OutputNames);
        var o = outputs[0];
        outputShape = o.GetTensorTypeAndShape().Shape;
        return o.GetTensorDataAsSpan<float>().ToArray();
    }
}

/// <summary>
/// Writes a random <c>AutoencoderDC</c> checkpoint in diffusers' layout for any config (keys and shapes from
/// <see cref="ParameterShapes.ForAutoencoderDC"/>, which a test holds to the golden checkpoints), initialised like the golden
/// cases (norm weights 1 + 0.1·N, weights s·N with s = clamp(1/√fan_in, 0.02, 0.2), biases 0.05·N).
/// </summary>
internal static class TinyCheckpoint
{
    public static void Write(string folder, AutoencoderDCConfig config, int seed, Func<AutoencoderDCParameter, AutoencoderDCParameter?>? mutate = null,
        (string Key, long[] Shape)? extra = null)
    {
        var writer = new SafetensorsWriter();
        var rng = new Random(seed);
        var parameters = ParameterShapes.ForAutoencoderDC(config).Select(p => mutate is null ? p : mutate(p)).Where(p => p is not null).Select(p => p!).ToList();
        if (extra is { } e) parameters.Add(new AutoencoderDCParameter(e.Key, e.Shape));
        foreach (var p in parameters)
        {
            long n = p.Shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[n];
            double scale = p.Shape.Length >= 2 ? Math.Clamp(1 / Math.Sqrt(n / p.Shape[0]), 0.02, 0.2) : 0.05;
            for (long i = 0; i < n; i++)
            {
                double normal = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                data[i] = (float)(p.IsNormWeight ? 1 + 0.1 * normal : scale * normal);
            }
            writer.AddF32(p.Key, p.Shape, data);
        }
        writer.Save(Path.Combine(folder, "diffusion_pytorch_model.safetensors"));
        var json = JsonSerializer.SerializeToNode(config, ComponentConfig.SerializerOptions)!.AsObject();
        json["_class_name"] = AutoencoderDC.ClassName;
        File.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString());
    }
}
