using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Tests.Demo;

/// <summary>One demo-checkpoint pipeline (generated into a temporary cache, loaded through the production path) shared by a test class.</summary>
public sealed class DemoPipelineFixture : IAsyncLifetime
{
    private readonly TempFolder _cache = new("demo-pipeline");

    public SanaSprintPipeline Pipeline { get; private set; } = null!;

    public string CacheDirectory => _cache.Path;

    public async Task InitializeAsync()
    {
        Pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(new InferenceOptions
        {
            CacheDirectory = _cache.Path,
            Device = "cpu",
            WarmupSize = 64,
            IntraOpThreads = 2,
        }), defaultCheckpoint: EmbeddedDemoCheckpoint.Instance);
        await Pipeline.LoadAsync();
        Assert.True(Pipeline.Info.IsAvailable, Pipeline.Info.UnavailableReason);
    }

    public Task DisposeAsync()
    {
        Pipeline.Dispose();
        _cache.Dispose();
        return Task.CompletedTask;
    }
}
