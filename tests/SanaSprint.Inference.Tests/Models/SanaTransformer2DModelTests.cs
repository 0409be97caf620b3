using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;
using Xunit.Abstractions;

namespace SanaSprint.Inference.Tests.Models;

public sealed class SanaTransformer2DModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> GoldenCases => new()
    {
        "transformer_sprint_tiny",
        "transformer_sprint_tiny_b",
        "controlnet_tiny",
        "transformer_with_control_tiny",
        "transformer_sprint_with_control_tiny",
    };

    private GoldenReport Verify(string caseName, GraphPrecision precision)
    {
        var verifier = new SanaTransformerGoldenVerifier(precision);
        string dir = TestPaths.GoldenCase(caseName);
        Assert.True(verifier.CanVerify(dir));
        var report = verifier.Verify(dir);
        foreach (var c in report.Comparisons)
            output.WriteLine($"{caseName} {precision} {c.Name}: max|Δ| {c.MaxAbsError:E2}, max|Δ|/max|ref| {c.MaxRelError:E2}, passed {c.Passed}");
        return report;
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Fp32GraphMatchesDiffusersWithin1e4(string caseName)
    {
        var report = Verify(caseName, GraphPrecision.Fp32);
        Assert.NotEmpty(report.Comparisons);
        Assert.All(report.Comparisons, c => Assert.True(c.Passed, $"{c.Name}: max|Δ| {c.MaxAbsError:E3}"));
        TensorAssert.Holds(report);
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Fp16GraphStaysWithinOnePercentRelativeRms(string caseName)
    {
        var report = Verify(caseName, GraphPrecision.Fp16);
        Assert.NotEmpty(report.Comparisons);
        Assert.All(report.Comparisons, c => Assert.True(c.Passed, $"{c.Name}: max|Δ| {c.MaxAbsError:E3}"));
        TensorAssert.Holds(report, relativeRms: 1e-2);
    }

    [Fact]
    public void ControlCasesAlsoCheckTheOutputWithoutControl()
    {
        var report = Verify("transformer_with_control_tiny", GraphPrecision.Fp32);
        Assert.Contains(report.Comparisons, c => c.Name == "out.sample");
        Assert.Contains(report.Comparisons, c => c.Name == "out.sample_without_control");
    }
}
