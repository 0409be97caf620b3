using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Tests.Sampling;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Pipeline;

public sealed class SanaSprintLayoutGoldenTests
{
    [Fact]
    public void OfficialLayoutRunsFromPromptTextToTheReferenceImage()
    {
        string dir = TestPaths.GoldenCase("layout");
        var verifier = new SanaSprintLayoutGoldenVerifier();
        Assert.True(verifier.CanVerify(dir));
        var report = verifier.Verify(dir);
        Assert.True(report.Passed, string.Join("\n", report.Comparisons.Where(c => !c.Passed).Select(c => $"{c.Name}: max|Δ| {c.MaxAbsError:E2}")));
        TensorAssert.Holds(report);
        // Both prompts, both sizes, 1 and 2 steps; the text path of both prompts.
        foreach (var p in new[] { "p0", "p1" })
        {
            Assert.Contains(report.Comparisons, c => c.Name == $"out.{p}.text.input_ids");
            Assert.Contains(report.Comparisons, c => c.Name.StartsWith($"out.{p}.text.last_hidden_state", StringComparison.Ordinal));
            Assert.Contains(report.Comparisons, c => c.Name.StartsWith($"out.{p}.prompt_embeds", StringComparison.Ordinal));
            foreach (var size in new[] { "64x64", "128x64" })
                foreach (var n in new[] { 1, 2 })
                {
                    Assert.Contains(report.Comparisons, c => c.Name == $"out.{p}.{size}.n{n}.image");
                    Assert.Contains(report.Comparisons, c => c.Name == $"out.{p}.{size}.n{n}.step{n - 1}.transformer_out");
                }
        }
    }

    [Fact]
    public void VerifierDeclinesFoldersWithoutTextRuns()
    {
        var verifier = new SanaSprintLayoutGoldenVerifier();
        Assert.False(verifier.CanVerify(TestPaths.GoldenCase("pipeline_sprint_tiny")));
        Assert.False(new SanaSprintPipelineGoldenVerifier().CanVerify(TestPaths.GoldenCase("layout")));
    }
}
