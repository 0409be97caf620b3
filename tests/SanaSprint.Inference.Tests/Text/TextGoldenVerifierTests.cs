using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Text;

public sealed class TextGoldenVerifierTests
{
    [Fact]
    public void EachTextVerifierClaimsOnlyItsKindOfCase()
    {
        string tokenizer = TestPaths.GoldenCase("text", "tokenizer"), encoder = TestPaths.GoldenCase("text", "gemma2_tiny"), prompt = TestPaths.GoldenCase("text", "prompt_encode");
        Assert.True(new TextTokenizerGoldenVerifier().CanVerify(tokenizer));
        Assert.False(new TextTokenizerGoldenVerifier().CanVerify(encoder));
        Assert.True(new TextEncoderGoldenVerifier().CanVerify(encoder));
        Assert.False(new TextEncoderGoldenVerifier().CanVerify(prompt));
        Assert.False(new TextEncoderGoldenVerifier().CanVerify(tokenizer));
        Assert.False(new TextPromptGoldenVerifier().CanVerify(encoder));
        Assert.False(new TextPromptGoldenVerifier().CanVerify(tokenizer));
    }

    [Fact]
    public void TokenizerCasePassesVerification()
    {
        var report = new TextTokenizerGoldenVerifier().Verify(TestPaths.GoldenCase("text", "tokenizer"));
        Assert.Contains(report.Comparisons, c => c.Name == "batch2.attention_mask");
        Assert.All(report.Comparisons, c => Assert.True(c.Passed, $"{c.Name}: {c.MaxAbsError}"));
        TensorAssert.Holds(report);
    }

    [Fact]
    public void EncoderCasePassesVerificationForBothAttentionPaths()
    {
        var report = new TextEncoderGoldenVerifier().Verify(TestPaths.GoldenCase("text", "gemma2_tiny"));
        Assert.Contains(report.Comparisons, c => c.Name == "out.last_hidden_state.eager[real tokens]");
        Assert.Contains(report.Comparisons, c => c.Name == "out.last_hidden_state.sdpa[real tokens]");
        Assert.Contains(report.Comparisons, c => c.Name == "out.last_hidden_state.eager[padded] finite");
        Assert.All(report.Comparisons, c => Assert.True(c.Passed, $"{c.Name}: max |Δ| {c.MaxAbsError:E3}"));
        TensorAssert.Holds(report);
    }
}
