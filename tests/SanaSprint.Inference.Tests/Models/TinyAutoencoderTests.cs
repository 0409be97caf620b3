using SanaSprint.Cli.Commands;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Verification;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx.Proto;
using SanaSprint.Inference.Tests.TestSupport;
using Xunit.Abstractions;

namespace SanaSprint.Inference.Tests.Models;

public sealed class TinyAutoencoderTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    // ------------------------------------------------------------------ golden cases (taesd.py reference)

    [Theory]
    [InlineData("taesana_encoder_real", "encoder")]
    [InlineData("taesana_decoder_tiny", "decoder")]
    public void CliExportOfTheGoldenCheckpointMatchesTaesdWithin1e4(string caseName, string part)
    {
        using var tmp = new TempFolder();
        string dir = TestPaths.GoldenCase(caseName), model = tmp.File($"taesana_{part}.onnx");
        var stderr = new StringWriter();

        int code = ExportCommand.Run(dir, model, ExportCommand.Options(part, 0, "diffusers", null, "fp32"), new StringWriter(), stderr);

        Assert.True(code == 0, stderr.ToString());
        Assert.True(File.Exists(model + ".data"));
        var p = part == "encoder" ? TinyAutoencoderPart.Encoder : TinyAutoencoderPart.Decoder;
        using var golden = GoldenCase.Open(dir);
        var input = golden.Read("in." + TinyAutoencoder.InputName(p));
        var expected = golden.Read("out." + TinyAutoencoder.OutputName(p));
        var actual = AutoencoderDCTests.RunModelFile(model, TinyAutoencoder.InputName(p), input.AsFloats(), input.Shape, out var outputName, out var shape);
        Assert.Equal(TinyAutoencoder.OutputName(p), outputName);
        Assert.Equal(expected.Shape, shape);
        AssertAllClose(actual, expected.AsFloats(), $"{caseName} {part}");
    }

    [Theory]
    [InlineData("taesana_encoder_real")]
    [InlineData("taesana_decoder_tiny")]
    public void VerifyGoldenPassesBothCasesWithTheTinyAutoencoderVerifier(string caseName)
    {
        string dir = TestPaths.GoldenCase(caseName);
        var stdout = new StringWriter();

        Assert.Single(VerifyGoldenCommand.DiscoverVerifiers(), v => v.CanVerify(dir));
        int code = VerifyGoldenCommand.Run(dir, stdout, new StringWriter());

        output.WriteLine(stdout.ToString());
        Assert.Equal(0, code);
        Assert.Contains("via TinyAutoencoderGoldenVerifier", stdout.ToString());
        Assert.Contains("PASSED", stdout.ToString());
    }

    [Fact]
    public void VerifierFailsAPerturbedReference()
    {
        using var tmp = new TempFolder();
        string src = TestPaths.GoldenCase("taesana_decoder_tiny");
        foreach (var f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(tmp.Path, Path.GetFileName(f)));
        string golden = tmp.File("golden.safetensors");
        long offset;
        using (var file = SafetensorsFile.Open(golden)) offset = file.GetInfo("out.image").DataStart;
        using (var s = new FileStream(golden, FileMode.Open, FileAccess.ReadWrite))
        {
            s.Position = offset;
            s.Write(BitConverter.GetBytes(0.5f)); // the image's values are below 0.06
        }

        var report = new TinyAutoencoderGoldenVerifier().Verify(tmp.Path);

        Assert.False(report.Passed);
    }

    // ------------------------------------------------------------------ graph naming and the CLI contract

    [Fact]
    public void GraphNamesAreModulePathsAndInitializersAreTheCheckpointKeys()
    {
        using var tmp = new TempFolder();
        string dir = TestPaths.GoldenCase("taesana_decoder_tiny");

        var saved = TinyAutoencoder.Export(dir, tmp.File("d.onnx"), new ModelBuildOptions { Part = "decoder" });

        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(saved.ModelPath));
        Assert.Equal(TinyAutoencoder.Parameters(TinyAutoencoderPart.Decoder).Select(p => p.Key).Order(StringComparer.Ordinal),
            model.Graph.Initializer.Select(i => i.Name).Where(n => !n.StartsWith("constants/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var nodes = model.Graph.Node.Select(n => n.Name).ToHashSet();
        Assert.Contains("0/Tanh", nodes);
        Assert.Contains("3.conv.2/Conv", nodes);
        Assert.Contains("3.fuse/Relu", nodes);
        Assert.Contains("6/Resize", nodes);
        Assert.Contains("29/Conv", nodes);
        Assert.Equal(["latent"], model.Graph.Input.Select(i => i.Name));
        Assert.Equal(["image"], model.Graph.Output.Select(o => o.Name));
        Assert.Contains(model.MetadataProps, m => m.Key == "sanasprint.class_name" && m.Value == TinyAutoencoder.ClassName);
    }

    [Fact]
    public void CliExportOfOneFileReadsThePartFromItsName()
    {
        using var tmp = new TempFolder();
        string file = Path.Combine(TestPaths.GoldenCase("taesana_encoder_real"), "taesana_encoder.pth");
        var stderr = new StringWriter();

        int code = ExportCommand.Run(file, tmp.File("e.onnx"), ExportCommand.Options(null, 0, "diffusers", null, "fp32"), new StringWriter(), stderr);

        Assert.True(code == 0, stderr.ToString());
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(tmp.File("e.onnx")));
        Assert.Equal(["image"], model.Graph.Input.Select(i => i.Name));
        Assert.Equal(["latent"], model.Graph.Output.Select(o => o.Name));
    }

    [Theory]
    [InlineData("taesana_decoder_tiny", null, "needs `part` encoder or decoder")]
    [InlineData("taesana_decoder_tiny", "encoder", "taesana_encoder.safetensors or .pth")]
    [InlineData("taesana_decoder_tiny/taesana_decoder.pth", "encoder", "holds the decoder")]
    public void CliExportErrorsSayWhatIsWrong(string checkpoint, string? part, string message)
    {
        using var tmp = new TempFolder();
        var stderr = new StringWriter();

        int code = ExportCommand.Run(Path.Combine(TestPaths.Golden, checkpoint), tmp.File("x.onnx"),
            ExportCommand.Options(part, 0, "diffusers", null, "fp32"), new StringWriter(), stderr);

        Assert.Equal(1, code);
        Assert.Contains(message, stderr.ToString());
        Assert.False(File.Exists(tmp.File("x.onnx")));
    }

    // ------------------------------------------------------------------ random weights, other shapes

    [Theory]
    [InlineData(64, 96)]  // non-square
    [InlineData(80, 48)]  // not a multiple of 32: stride-2 convs round up (taesd's padding 1)
    public void EncoderOfRandomWeightsMatchesTheReferenceOnOtherSizesInBatchTwo(int height, int width)
    {
        using var tmp = new TempFolder();
        string pth = tmp.File("taesana_encoder.pth");
        TinyAutoencoderWeights.WritePth(pth, TinyAutoencoderPart.Encoder, latentChannels: 32, seed: 3);
        var image = RandomValues(2 * 3 * height * width, seed: 4, scale: 0.5f, offset: 0.5f);

        var actual = ExportAndRun(pth, "encoder", "image", image, [2, 3, height, width], out var shape);

        int lh = (height + 31) / 32, lw = (width + 31) / 32;
        Assert.Equal([2L, 32, lh, lw], shape);
        var torch = TorchCheckpoint.Load(pth);
        var reference = new TaesdReference(torch.ReadFloat32);
        int per = 3 * height * width;
        var expected = Enumerable.Range(0, 2).SelectMany(b => reference.Encode(image[(b * per)..((b + 1) * per)], height, width).Data).ToArray();
        AssertAllClose(actual, expected, $"encoder {height}×{width}");
        AssertCloseToScale(actual, expected, $"encoder {height}×{width}");
    }

    [Fact]
    public void DecoderOfRandomWeightsMatchesTheReferenceOnANonSquareLatentInBatchTwoWithFourLatentChannels()
    {
        using var tmp = new TempFolder();
        string pth = tmp.File("taesana_decoder.pth");
        TinyAutoencoderWeights.WritePth(pth, TinyAutoencoderPart.Decoder, latentChannels: 4, seed: 5);
        var latent = RandomValues(2 * 4 * 1 * 2, seed: 6, scale: 4f);

        var actual = ExportAndRun(pth, "decoder", "latent", latent, [2, 4, 1, 2], out var shape);

        Assert.Equal([2L, 3, 32, 64], shape);
        var reference = new TaesdReference(TorchCheckpoint.Load(pth).ReadFloat32);
        var expected = Enumerable.Range(0, 2).SelectMany(b => reference.Decode(latent[(b * 8)..((b + 1) * 8)], 4, 1, 2).Data).ToArray();
        AssertAllClose(actual, expected, "decoder 1×2 latent");
        AssertCloseToScale(actual, expected, "decoder 1×2 latent");
    }

    [Theory]
    [InlineData(TinyAutoencoderPart.Encoder, "image", new long[] { 1, 3, 64, 32 })]
    [InlineData(TinyAutoencoderPart.Decoder, "latent", new long[] { 1, 32, 2, 1 })]
    public void SafetensorsWithTheSameKeysGiveTheSameGraphOutputsAsThePth(TinyAutoencoderPart part, string input, long[] shape)
    {
        using var tmp = new TempFolder();
        string stem = TinyAutoencoder.FileStem(part), name = part.ToString().ToLowerInvariant();
        Directory.CreateDirectory(tmp.File("pth"));
        Directory.CreateDirectory(tmp.File("st"));
        TinyAutoencoderWeights.WritePth(Path.Combine(tmp.File("pth"), stem + ".pth"), part, 32, seed: 7);
        TinyAutoencoderWeights.WriteSafetensors(Path.Combine(tmp.File("st"), stem + ".safetensors"), part, 32, seed: 7);
        var x = RandomValues((int)shape.Aggregate(1L, (a, b) => a * b), seed: 8, scale: 1f);

        var fromPth = ExportAndRun(tmp.File("pth"), name, input, x, shape, out _);
        var fromSafetensors = ExportAndRun(tmp.File("st"), name, input, x, shape, out _);

        Assert.Equal(fromPth, fromSafetensors);
    }

    [Fact]
    public void NarrowerWidthsAreReadFromTheWeightsAndMatchTheReference()
    {
        // The demo's tiny autoencoder keeps taesd's layer order with fewer channels (a quarter / an eighth of TAESana's
        // here, as the demo DC-AE is narrower than SANA's): nothing but the weights says so.
        using var tmp = new TempFolder();
        string enc = tmp.File("narrow_encoder.safetensors"), dec = tmp.File("narrow_decoder.safetensors");
        TinyAutoencoderWeights.WriteSafetensors(enc, TinyAutoencoderPart.Encoder, 32, seed: 11, width: (_, w) => w / 4);
        TinyAutoencoderWeights.WriteSafetensors(dec, TinyAutoencoderPart.Decoder, 32, seed: 12, width: (_, w) => Math.Max(8, w / 8));
        var image = RandomValues(3 * 64 * 32, seed: 13, scale: 0.5f, offset: 0.5f);
        var latent = RandomValues(32 * 2 * 1, seed: 14, scale: 4f);

        var encoded = ExportAndRun(enc, "encoder", "image", image, [1, 3, 64, 32], out var encodedShape);
        var decoded = ExportAndRun(dec, "decoder", "latent", latent, [1, 32, 2, 1], out var decodedShape);

        Assert.Equal([1L, 32, 2, 1], encodedShape);
        Assert.Equal([1L, 3, 64, 32], decodedShape);
        using (var e = SafetensorsCheckpoint.Open(enc))
            AssertAllClose(encoded, new TaesdReference(e.ReadFloat32).Encode(image, 64, 32).Data, "narrow encoder");
        using (var d = SafetensorsCheckpoint.Open(dec))
        {
            Assert.Equal([32L, 32, 3, 3], d.GetInfo("1.weight").Shape); // 256 / 8 channels from 32 latent channels
            Assert.Equal([8L, 8, 3, 3], d.GetInfo("28.conv.0.weight").Shape); // 64 / 8
            AssertAllClose(decoded, new TaesdReference(d.ReadFloat32).Decode(latent, 32, 2, 1).Data, "narrow decoder");
        }
    }

    [Fact]
    public void ADecoderWithLatentScaleMultipliesItsInputBeforeTheClamp()
    {
        using var tmp = new TempFolder();
        string scaled = tmp.File("scaled_decoder.safetensors");
        TinyAutoencoderWeights.WriteSafetensors(scaled, TinyAutoencoderPart.Decoder, 32, seed: 15, width: (_, w) => Math.Max(8, w / 8), latentScale: 0.1875f);
        var latent = RandomValues(32 * 1 * 2, seed: 16, scale: 12f); // the demo DC-AE's range: |x| ≫ 3

        var actual = ExportAndRun(scaled, "decoder", "latent", latent, [1, 32, 1, 2], out _);

        using var weights = SafetensorsCheckpoint.Open(scaled);
        var reference = new TaesdReference(weights.ReadFloat32);
        AssertAllClose(actual, reference.Decode(latent, 32, 1, 2, latentScale: 0.1875f).Data, "scaled decoder");
        Assert.NotEqual(reference.Decode(latent, 32, 1, 2).Data, actual);
    }

    [Fact]
    public void ConvertedPthIsDeletedAfterExport()
    {
        using var tmp = new TempFolder();
        string conversions = tmp.File("conversions");
        using (var weights = TinyAutoencoderCheckpoint.Open(TestPaths.GoldenCase("taesana_encoder_real"), TinyAutoencoderPart.Encoder, conversions))
        {
            Assert.EndsWith("taesana_encoder.pth", weights.SourcePath);
            Assert.Single(Directory.GetFiles(conversions, "*.safetensors"));
        }
        Assert.Empty(Directory.GetFiles(conversions));
    }

    // ------------------------------------------------------------------ helpers

    private float[] ExportAndRun(string checkpoint, string part, string input, float[] data, long[] shape, out long[] outputShape)
    {
        using var tmp = new TempFolder();
        var stderr = new StringWriter();
        int code = ExportCommand.Run(checkpoint, tmp.File("m.onnx"), ExportCommand.Options(part, 0, "diffusers", null, "fp32"), new StringWriter(), stderr);
        Assert.True(code == 0, stderr.ToString());
        return AutoencoderDCTests.RunModelFile(tmp.File("m.onnx"), input, data, shape, out _, out outputShape);
    }

    private static float[] RandomValues(int count, int seed, float scale, float offset = 0)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => offset + scale * (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>
    /// max|Δ| ≤ 1e-5 · max|ref| on outputs far from zero (random weights of about unit gain give outputs of order 0.3–1),
    /// a bound ten times tighter than the elementwise 1e-4 for the largest values.
    /// </summary>
    private void AssertCloseToScale(float[] actual, float[] expected, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0, maxRef = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            maxAbs = Math.Max(maxAbs, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        output.WriteLine($"{what}: max|Δ| {maxAbs:E2}, max|ref| {maxRef:E2}");
        Assert.True(maxRef > 0.1, $"{what}: the reference is nearly zero ({maxRef:E2})");
        Assert.True(maxAbs <= 1e-5 * maxRef, $"{what}: max|Δ| {maxAbs:E2} > 1e-5 · {maxRef:E2}");
    }

    /// <summary>numpy.allclose(actual, expected, rtol=1e-4, atol=1e-4), reporting the worst element.</summary>
    private void AssertAllClose(float[] actual, float[] expected, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxAbs = 0, maxRef = 0;
        int worst = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
            if (d > maxAbs) maxAbs = d;
            if (d > Tolerance + Tolerance * Math.Abs(expected[i]) && worst < 0) worst = i;
        }
        output.WriteLine($"{what}: max|Δ| {maxAbs:E2}, max|ref| {maxRef:E2}");
        Assert.True(maxRef > 0, $"{what}: the reference is all zeros");
        Assert.True(worst < 0, $"{what}: element {worst} is {(worst < 0 ? 0 : actual[worst])}, expected {(worst < 0 ? 0 : expected[worst])}");
    }
}
