using SanaSprint.Cli.Commands;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Cli;

/// <summary>The CLI <c>export</c> contract: a standalone graph + data file whose inputs and outputs are named like the
/// golden tensors, run through ONNX Runtime.</summary>
public sealed class ExportCommandTests
{
    private static (int Code, string Out, string Err) Export(string checkpoint, string output, string? part = null, int controlBlocks = 0,
        string wiring = "diffusers", string precision = "fp32")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ExportCommand.Run(checkpoint, output, ExportCommand.Options(part, controlBlocks, wiring, null, precision), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("transformer_sprint_tiny", 0, "fp32", null)]
    [InlineData("transformer_sprint_with_control_tiny", 2, "fp32", null)]
    [InlineData("controlnet_tiny", 0, "fp32", null)]
    [InlineData("transformer_sprint_tiny_b", 0, "fp16", null)]
    [InlineData("dcae_decoder_tiny", 0, "fp32", "decoder")]
    public void ExportedGraphReproducesTheGoldenOutputs(string caseName, int controlBlocks, string precision, string? part)
    {
        using var tmp = new TempFolder();
        string dir = TestPaths.GoldenCase(caseName);
        string model = Path.Combine(tmp.Path, "export", "model.onnx");
        var (code, stdout, stderr) = Export(dir, model, part: part, controlBlocks: controlBlocks, precision: precision);
        Assert.True(code == 0, stderr);
        Assert.Contains(model, stdout);
        Assert.True(File.Exists(model + ".data"));
        Assert.True(new FileInfo(model).Length < 1 << 20, "graph file stays small: weights are external");
        Assert.Contains("100%", stderr); // progress bar

        // Standalone: move the pair elsewhere and it still loads.
        string moved = Path.Combine(tmp.Path, "moved");
        Directory.CreateDirectory(moved);
        File.Move(model, Path.Combine(moved, "model.onnx"));
        File.Move(model + ".data", Path.Combine(moved, "model.onnx.data"));

        using var golden = GoldenCase.Open(dir);
        var outputs = SanaTransformerGoldenVerifier.RunGraph(Path.Combine(moved, "model.onnx"), golden);
        Assert.NotEmpty(outputs);
        foreach (var (name, actual) in outputs)
        {
            var expected = golden.Read("out." + name).AsFloats();
            if (precision == "fp32")
                TensorAssert.AllClose(expected, actual, 1e-4, 1e-4, name);
            else
                Assert.InRange(TensorAssert.RelativeRms(expected, actual), 0, 1e-2);
        }
    }

    [Fact]
    public void PipelineFolderIsRejectedWithAHint()
    {
        using var tmp = new TempFolder();
        string pipeline = Path.Combine(TestPaths.Golden, "layout", "sana_sprint_tiny_pipeline");
        var (code, _, stderr) = Export(pipeline, tmp.File("m.onnx"));
        Assert.Equal(1, code);
        Assert.Contains("`--checkpoint`", stderr);
        Assert.Contains(Path.Combine(pipeline, "transformer"), stderr);
    }

    [Fact]
    public void Bf16PipelineTransformerExportsAsFp32()
    {
        using var tmp = new TempFolder();
        string transformer = Path.Combine(TestPaths.Golden, "layout", "sana_sprint_tiny_pipeline", "transformer");
        var (code, stdout, stderr) = Export(transformer, tmp.File("t.onnx"));
        Assert.True(code == 0, stderr);
        Assert.Contains("weights", stdout);
    }

    [Theory]
    [InlineData("transformer_sprint_tiny", null, 3, "`control_blocks` must be 0–2")]
    [InlineData("controlnet_tiny", null, 1, "`control_blocks` applies to SanaTransformer2DModel only")]
    [InlineData("transformer_sprint_tiny", "decoder", 0, "`part` applies to AutoencoderDC only")]
    [InlineData("dcae_decoder_tiny", null, 0, "AutoencoderDC needs `part`")]
    public void OptionsThatDoNotFitTheModelAreNamed(string caseName, string? part, int controlBlocks, string expected)
    {
        using var tmp = new TempFolder();
        var (code, _, stderr) = Export(TestPaths.GoldenCase(caseName), tmp.File("m.onnx"), part: part, controlBlocks: controlBlocks);
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public void MissingCheckpointFailsWithTheFileName()
    {
        using var tmp = new TempFolder();
        var (code, _, stderr) = Export(tmp.File("nowhere"), tmp.File("m.onnx"));
        Assert.Equal(1, code);
        Assert.Contains("export failed", stderr);
        Assert.Contains(tmp.File("nowhere"), stderr);
    }
}
