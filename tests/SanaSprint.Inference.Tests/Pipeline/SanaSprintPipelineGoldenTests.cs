using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Tests.Sampling;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Pipeline;

public sealed class SanaSprintPipelineGoldenTests
{
    [Fact]
    public void PipelineMatchesDiffusersEndToEndForOneAndTwoSteps()
    {
        string dir = TestPaths.GoldenCase("pipeline_sprint_tiny");
        var verifier = new SanaSprintPipelineGoldenVerifier();
        Assert.True(verifier.CanVerify(dir));
        var report = verifier.Verify(dir);
        Assert.True(report.Passed, string.Join("\n", report.Comparisons.Select(c => $"{c.Name}: max|Δ| {c.MaxAbsError:E2} {(c.Passed ? "ok" : "FAIL")}")));
        TensorAssert.Holds(report);
        // Every transformer output (1 + 2 calls), the decoder input/output and the image of both runs are compared.
        foreach (var name in new[] { "out.n1.step0.transformer_out", "out.n2.step0.transformer_out", "out.n2.step1.transformer_out",
                     "out.n1.vae_decode_input", "out.n2.vae_decode_output", "out.n1.image", "out.n2.image", "in.n2.step1.hidden_states" })
            Assert.Contains(report.Comparisons, c => c.Name == name);
    }

    [Fact]
    public void VerifierDeclinesComponentFolders()
    {
        var verifier = new SanaSprintPipelineGoldenVerifier();
        Assert.False(verifier.CanVerify(TestPaths.GoldenCase("scm_scheduler")));
        Assert.False(verifier.CanVerify(TestPaths.GoldenCase("transformer_sprint_tiny")));
    }
}
