using SanaSprint.Cli.Commands;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Cli;

public sealed class VerifyGoldenCommandTests
{
    [Fact]
    public void DiscoversTheTransformerVerifierByReflection()
    {
        var verifiers = VerifyGoldenCommand.DiscoverVerifiers();
        Assert.Contains(verifiers, v => v is SanaTransformerGoldenVerifier);
        Assert.Single(verifiers, v => v.CanVerify(TestPaths.GoldenCase("transformer_sprint_tiny")));
    }

    [Fact]
    public void PassingCasePrintsErrorsPerOutputAndExitsZero()
    {
        var stdout = new StringWriter();
        int code = VerifyGoldenCommand.Run(TestPaths.GoldenCase("transformer_with_control_tiny"), stdout, new StringWriter());
        string text = stdout.ToString();
        Assert.Equal(0, code);
        Assert.Contains("out.sample ", text);
        Assert.Contains("out.sample_without_control", text);
        Assert.Contains("max|Δ|/max|ref|", text);
        Assert.Contains("PASSED", text);
    }

    [Fact]
    public void ResultBeyondToleranceExitsNonZero()
    {
        // Copy a case and perturb one reference output: the same code must now report a failure.
        using var tmp = new TempFolder();
        string src = TestPaths.GoldenCase("controlnet_tiny");
        foreach (var f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(tmp.Path, Path.GetFileName(f)));
        string golden = Path.Combine(tmp.Path, "golden.safetensors");
        long offset;
        using (var file = SanaSprint.Inference.Checkpoints.SafetensorsFile.Open(golden))
            offset = file.GetInfo("out.block_1").DataStart;
        using (var fs = new FileStream(golden, FileMode.Open, FileAccess.ReadWrite))
        {
            fs.Position = offset;
            fs.Write(BitConverter.GetBytes(123.0f));
        }
        var stdout = new StringWriter();
        int code = VerifyGoldenCommand.Run(tmp.Path, stdout, new StringWriter());
        Assert.Equal(1, code);
        Assert.Contains("FAIL", stdout.ToString());
    }

    [Fact]
    public void FolderNoVerifierUnderstandsExitsTwo()
    {
        using var tmp = new TempFolder();
        var stderr = new StringWriter();
        Assert.Equal(2, VerifyGoldenCommand.Run(tmp.Path, new StringWriter(), stderr));
        Assert.Contains("No verifier", stderr.ToString());
    }
}
