using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using SanaSprint.Inference.Extensions;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Tests.Runtime;

/// <summary>
/// Start-up on a machine where CUDA cannot run (this one: no libcublasLt.so.13): <c>auto</c> serves on CPU and says
/// why in <see cref="GeneratorInfo.ProviderNote"/>; <c>cuda</c> fails the load with the reason and stops the host.
/// On a machine where the CUDA probe passes there is nothing to check.
/// </summary>
public sealed class ProviderStartupTests
{
    private static bool CudaRuns => ProviderProbe.Run(ExecutionProviderKind.Cuda, null, SystemProviderRuntime.Instance).Succeeded;

    [Fact]
    public async Task AutoServesOnCpuAndTheInfoSaysWhyCudaIsNotUsed()
    {
        if (CudaRuns) return;
        using var tmp = new TempFolder();
        using var pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(new InferenceOptions
        {
            CacheDirectory = tmp.Path, Device = "auto", WarmupSize = 0, IntraOpThreads = 1,
        }), defaultCheckpoint: SanaSprint.Inference.Demo.EmbeddedDemoCheckpoint.Instance);
        await pipeline.LoadAsync();
        Assert.True(pipeline.Info.IsAvailable, pipeline.Info.UnavailableReason);
        Assert.Equal("CPU", pipeline.Info.Provider);
        Assert.StartsWith("CUDA is unavailable, running on CPU: ", pipeline.Info.ProviderNote);
        Assert.Null(pipeline.ProviderFailure);
    }

    [Fact]
    public async Task CudaFailsTheLoadWithTheReasonNotAsAMissingModel()
    {
        if (CudaRuns) return;
        using var tmp = new TempFolder();
        var options = new InferenceOptions { CheckpointPath = Path.Combine(tmp.Path, "no-such-checkpoint"), CacheDirectory = tmp.Path, Device = "cuda", WarmupSize = 0 };
        using var pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(options));
        await pipeline.LoadAsync();
        Assert.False(pipeline.Info.IsAvailable);
        Assert.NotNull(pipeline.ProviderFailure);
        Assert.StartsWith("The CUDA execution provider cannot run: ", pipeline.Info.UnavailableReason);
        Assert.DoesNotContain("checkpoint", pipeline.Info.UnavailableReason, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(pipeline.ProviderFailure!.ToString(), pipeline.Info.ProviderNote);
    }

    [Fact]
    public async Task TheWarmUpServiceStopsTheHostWithExitCodeOneWhenCudaIsRequiredButCannotRun()
    {
        if (CudaRuns) return;
        using var tmp = new TempFolder();
        var options = new InferenceOptions { CheckpointPath = Path.Combine(tmp.Path, "no-such-checkpoint"), CacheDirectory = tmp.Path, Device = "cuda", WarmupSize = 0 };
        using var pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(options));
        var lifetime = new StoppingLifetime();
        int before = Environment.ExitCode;
        try
        {
            using var service = new ModelWarmupService(pipeline, NullLogger<ModelWarmupService>.Instance, lifetime);
            await service.StartAsync(CancellationToken.None);
            await service.ExecuteTask!;
            Assert.True(lifetime.Stopped);
            Assert.Equal(1, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = before;
        }
    }

    private sealed class StoppingLifetime : IHostApplicationLifetime
    {
        public bool Stopped { get; private set; }
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() => Stopped = true;
    }
}
