using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Text;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Text;

public sealed class PromptEncoderBenchTests
{
    [Fact]
    public void TheBenchRunsASmallArchitectureEndToEnd()
    {
        var config = new Gemma2Config
        {
            VocabSize = 700, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 2,
            NumKeyValueHeads = 1, HeadDim = 8, QueryPreAttnScalar = 8, SlidingWindow = 4,
        };
        using var temp = new TempFolder();
        var tokenizer = GemmaTokenizer.FromDirectory(TestPaths.GoldenCase("text", "tokenizer"));
        var messages = new List<string>();
        var result = PromptEncoderBench.Run(temp.Path, Gemma2ModelTests.CpuSessions, tokenizer, config, tokens: 24, new Progress<string>(messages.Add));

        long expectedParameters = 700 * 32 + 2 * (4 * 32 + 16 * 32 + 2 * 8 * 32 + 32 * 16 + 3 * 48 * 32) + 32; // embed, (norms, q, k+v, o, MLP) per layer, final norm
        Assert.Equal(expectedParameters, result.Parameters);
        Assert.Equal(24, result.Tokens);
        // Run throws unless its repeats of the first prompt were all served from the cache, so a result proves the
        // hit path; the times themselves are measurements, not asserted.
        Assert.Equal(Gemma2ModelTests.CpuSessions.Provider.DisplayName, result.Provider);
        Assert.Contains("(miss)", result.ToString());
        Assert.Contains("cache hit", result.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public void TheRandomCheckpointLoadsAsAGemma2Folder()
    {
        var config = new Gemma2Config { VocabSize = 50, HiddenSize = 8, IntermediateSize = 12, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 2, HeadDim = 4 };
        using var temp = new TempFolder();
        PromptEncoderBench.WriteRandomCheckpoint(temp.Path, config, seed: 3);
        Assert.Equal(config.HiddenSize, Gemma2Config.Load(temp.Path).HiddenSize);
        using var checkpoint = SafetensorsCheckpoint.Open(temp.Path);
        var embed = checkpoint.ReadFloat32("embed_tokens.weight");
        Assert.Equal(50 * 8, embed.Length);
        Assert.InRange(embed.Average(v => (double)v * v), 0.2, 0.5); // uniform [−1, 1): variance 1/3
        Assert.True(embed.Distinct().Count() > 390);
    }
}
