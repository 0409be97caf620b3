using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Sampling;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Sampling;

public sealed class ScmSchedulerTests
{
    private static string GoldenDir => TestPaths.GoldenCase("scm_scheduler");

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void StepsMatchDiffusersGolden(int steps)
    {
        using var golden = SafetensorsFile.Open(Path.Combine(GoldenDir, "golden.safetensors"));
        var scheduler = new ScmScheduler(ScmSchedulerConfig.Load(Path.Combine(GoldenDir, "scheduler_config.json")));
        scheduler.SetTimesteps(steps, 1.5708f, steps == 2 ? 1.3f : null);
        AssertClose(golden.ReadFloat32($"out.n{steps}.timesteps"), scheduler.Timesteps, $"timesteps n={steps}");

        var sample = golden.ReadFloat32($"in.n{steps}.sample.0");
        for (int i = 0; i < steps; i++)
        {
            // Chained: each step's prev_sample is the next step's sample.
            var r = scheduler.Step(golden.ReadFloat32($"in.n{steps}.model_output.{i}"), i, sample, golden.ReadFloat32($"in.n{steps}.noise.{i}"));
            AssertClose(golden.ReadFloat32($"out.n{steps}.denoised.{i}"), r.Denoised, $"denoised {i}");
            AssertClose(golden.ReadFloat32($"out.n{steps}.prev_sample.{i}"), r.PrevSample, $"prev_sample {i}");
            sample = r.PrevSample;
        }
    }

    [Fact]
    public void GoldenVerifierPassesTheSchedulerFolder()
    {
        var verifier = new ScmSchedulerGoldenVerifier();
        Assert.True(verifier.CanVerify(GoldenDir));
        var report = verifier.Verify(GoldenDir);
        Assert.True(report.Passed, string.Join("\n", report.Comparisons.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.MaxAbsError}")));
        TensorAssert.Holds(report);
        // timesteps + 2 tensors per step for 1, 2 and 4 steps.
        Assert.Equal(3 + 2 * (1 + 2 + 4), report.Comparisons.Count);
    }

    [Fact]
    public void GoldenVerifierDeclinesOtherFolders()
    {
        var verifier = new ScmSchedulerGoldenVerifier();
        Assert.False(verifier.CanVerify(TestPaths.GoldenCase("pipeline_sprint_tiny")));
        Assert.False(verifier.CanVerify(TestPaths.GoldenCase("transformer_sprint_tiny")));
    }

    [Fact]
    public void TwoStepsUseTheIntermediateAngleOtherCountsUseLinspace()
    {
        var s = new ScmScheduler();
        Assert.Equal([1.5708f, 1.3f, 0f], s.SetTimesteps(2));
        Assert.Equal([1.5708f, 0f], s.SetTimesteps(1));
        var four = s.SetTimesteps(4);
        Assert.Equal(5, four.Length);
        Assert.Equal(1.5708f * 0.5f, four[2], 6);
        Assert.Equal(0f, four[4]);
        Assert.Equal(4, s.SetTimesteps(3, maxTimesteps: 1.2f).Length);
        Assert.Equal(3, s.SetTimesteps(2, intermediateTimesteps: null).Length);
        Assert.Equal(1.5708f / 2, s.Timesteps[1], 6);
    }

    [Fact]
    public void CustomTimestepsAreUsedAndValidated()
    {
        var s = new ScmScheduler();
        Assert.Equal([1.4f, 0.7f, 0f], s.SetTimesteps(2, timesteps: [1.4f, 0.7f, 0f]));
        Assert.Contains("num_inference_steps + 1", Assert.Throws<ArgumentException>(() => s.SetTimesteps(2, timesteps: [1.4f, 0f])).Message);
        Assert.Contains("descending", Assert.Throws<ArgumentException>(() => s.SetTimesteps(2, timesteps: [1.0f, 1.2f, 0f])).Message);
        Assert.Throws<ArgumentException>(() => s.SetTimesteps(1, timesteps: [2.5f, 0f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(0));
    }

    [Fact]
    public void StepBeforeSetTimestepsThrows()
    {
        var s = new ScmScheduler();
        Assert.Throws<InvalidOperationException>(() => s.Step([1f], 0, [1f], [1f]));
    }

    [Fact]
    public void FlowWrappingRoundTripsThroughAPerfectFlowModel()
    {
        // If the transformer predicts the exact flow velocity (noise − data) for x_s = cos s·x0 + sin s·σ·ε,
        // the TrigFlow conversion followed by one step must recover x0 exactly.
        const float sigma = 0.5f;
        float[] x0 = [0.3f, -0.7f, 0.1f], eps = [1.2f, -0.4f, 0.05f];
        foreach (float s in new[] { 1.5708f, 1.3f, 0.7f })
        {
            var xs = new float[3];
            for (int i = 0; i < 3; i++) xs[i] = MathF.Cos(s) * x0[i] + MathF.Sin(s) * sigma * eps[i];
            var xin = new float[3];
            ScmScheduler.ScaleModelInput(xs, s, sigma, xin);
            // Flow model in units of σ: x_t' = (1 − t')·x0/σ + t'·ε, v = ε − x0/σ.
            var v = new float[3];
            for (int i = 0; i < 3; i++) v[i] = eps[i] - x0[i] / sigma;
            var output = new float[3];
            ScmScheduler.ConvertModelOutput(xin, v, s, sigma, output);
            var scheduler = new ScmScheduler(new ScmSchedulerConfig { SigmaData = sigma });
            scheduler.SetTimesteps(1, timesteps: [s, 0f]);
            var den = scheduler.Step(output, 0, xs, new float[3]).Denoised;
            for (int i = 0; i < 3; i++) Assert.Equal(x0[i], den[i], 4);
        }
    }

    [Fact]
    public void StrengthScalesTheScheduleAndKeepsTheStepCount()
    {
        float[] t = [1.5708f, 1.3f, 0f];
        Assert.Equal(t, ScmScheduler.ScaleTimestepsByStrength(t, 1f));
        Assert.Equal([0f, 0f, 0f], ScmScheduler.ScaleTimestepsByStrength(t, 0f));
        var half = ScmScheduler.ScaleTimestepsByStrength(t, 0.5f);
        Assert.Equal(0.7854f, half[0], 5);
        Assert.Equal(0.65f, half[1], 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => ScmScheduler.ScaleTimestepsByStrength(t, 1.5f));
    }

    [Fact]
    public void GuidanceIsEmbeddedAtOneTenth()
    {
        Assert.Equal(0.45f, ScmScheduler.EmbeddedGuidance(4.5f), 6);
        Assert.Equal(1.0000037f, ScmScheduler.ScmTimestep(1.5708f), 6);
    }

    [Fact]
    public void ConfigRejectsOtherPredictionTypes()
    {
        using var dir = new TempFolder("scm-config");
        string path = dir.File("scheduler_config.json");
        File.WriteAllText(path, """{"_class_name":"SCMScheduler","prediction_type":"epsilon","sigma_data":0.5}""");
        var ex = Assert.Throws<InvalidDataException>(() => ScmSchedulerConfig.Load(path));
        Assert.Contains("prediction_type", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    internal static void AssertClose(float[] expected, ReadOnlySpan<float> actual, string what, double tol = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            Assert.True(d <= tol + tol * Math.Abs(expected[i]), $"{what}[{i}]: expected {expected[i]}, got {actual[i]} (|d| = {d})");
        }
    }
}
