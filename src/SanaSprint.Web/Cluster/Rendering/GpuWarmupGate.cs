using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>
/// Holds a GPU silo's start until its model is loaded and warm (the served frames' warm-up of
/// <see cref="SanaSprintPipeline.LoadAsync"/>), so it joins the cluster, and renderers are placed on it, only once its first
/// frame is fast. A model that cannot load fails the silo's start with the reason: a GPU node without a model would
/// attract rooms and fail every frame.
/// </summary>
/// <param name="generator">The model (a <see cref="SanaSprintPipeline"/> in the product; other generators need no load).</param>
/// <param name="logger">Logger.</param>
internal sealed partial class GpuWarmupGate(IImageGenerator generator, ILogger<GpuWarmupGate> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private volatile bool _warm;

    /// <summary>True once the model is warm (and the silo went on to join).</summary>
    public bool IsWarm => _warm;

    public void Participate(ISiloLifecycle lifecycle) =>
        // Before the runtime opens its connections: nothing of the silo is visible to the cluster while the model warms.
        lifecycle.Subscribe(nameof(GpuWarmupGate), ServiceLifecycleStage.RuntimeInitialize - 1, WaitForModelAsync);

    internal async Task WaitForModelAsync(CancellationToken cancellationToken)
    {
        Log.Waiting(logger);
        if (generator is SanaSprintPipeline pipeline) await pipeline.LoadAsync(cancellationToken);
        var info = generator.Info;
        if (!info.IsAvailable)
            throw new InvalidOperationException($"This GPU node does not join the cluster: the model is unavailable ({info.UnavailableReason}).");
        _warm = true;
        Log.Warm(logger, info.ModelName, info.Provider);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Warming the model before this GPU node joins the cluster", EventName = "GpuWarmupWaiting")]
        public static partial void Waiting(ILogger logger);

        [LoggerMessage(2, LogLevel.Information, "Model '{ModelName}' warm on {Provider}; joining the cluster", EventName = "GpuWarmupDone")]
        public static partial void Warm(ILogger logger, string modelName, string provider);
    }
}
