using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Tests.Demo;

/// <summary>One demo-checkpoint pipeline (generated into a temporary cache, loaded through the production path) shared by a test class.</summary>
public sealed class DemoPipelineFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("demo-pipeline-");

    public SanaSprintPipeline Pipeline { get; private set; } = null!;

    public string CacheDirectory => _cache.FullName;

    public async Task InitializeAsync()
    {
        Pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(new InferenceOptions
        {
            CacheDirectory = _cache.FullName,
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
        try { _cache.Delete(recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}
