using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanaSprint.Inference;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Cluster;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>A web node counts prompt tokens from the checkpoint's tokenizer without loading the model, and shows the model the GPU workers describe.</summary>
public sealed class WebNodeModelInfoTests
{
    [Fact]
    public void PromptTokensAreCountedFromTheTokenizerAloneAndTheModelIsWhatTheGpuWorkersPublish()
    {
        using var cache = new TempFolder("sanasprint-webnode");
        var info = new WebNodeModelInfo(Options.Create(new InferenceOptions { CacheDirectory = cache.Path }), NullLogger<WebNodeModelInfo>.Instance,
            EmbeddedDemoCheckpoint.Instance);

        var brief = info.CountPromptTokens("a cat");
        var longer = info.CountPromptTokens("a cat sitting on a red chair in the sun");
        Assert.NotNull(brief);
        Assert.True(longer > brief, $"{longer} tokens for the longer prompt, {brief} for the shorter.");
        Assert.False(info.Info.IsAvailable);

        info.Publish(new GeneratorInfo { ModelName = "sana-sprint-demo", Provider = "CUDA" });
        Assert.Equal(("sana-sprint-demo", true), (info.Info.ModelName, info.Info.IsAvailable));
    }
}
