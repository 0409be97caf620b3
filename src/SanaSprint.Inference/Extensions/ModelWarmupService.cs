using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Extensions;

/// <summary>
/// Loads and warms the model in the background when the host starts, so the first frame is fast; never
/// throws into the host (a failed load leaves the generator unavailable with its reason). The one exception is
/// <c>Inference:Device = cuda</c> when CUDA cannot run: the host is stopped with exit code 1 and the reason logged.
/// </summary>
/// <param name="pipeline">The pipeline to load.</param>
/// <param name="logger">Logger.</param>
/// <param name="lifetime">Stopped when a required CUDA provider cannot run (null in hosts without one).</param>
public sealed partial class ModelWarmupService(SanaSprintPipeline pipeline, ILogger<ModelWarmupService> logger, IHostApplicationLifetime? lifetime = null) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting before the (long) load begins.
        await Task.Yield();
        Log.LoadStarting(logger);
        try
        {
            await pipeline.LoadAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            Log.LoadCancelled(logger);
            return;
        }
        catch (Exception ex)
        {
            // LoadAsync records failures in Info itself; this is the last line of defence for the host.
            Log.LoadFailed(logger, ex);
            return;
        }

        if (pipeline.ProviderFailure is { } failure)
        {
            Log.RequiredProviderUnavailable(logger, failure.ToString());
            Environment.ExitCode = 1;
            lifetime?.StopApplication();
            return;
        }

        var info = pipeline.Info;
        if (info.IsAvailable)
            Log.LoadSucceeded(logger, info.ModelName, info.Provider, info.IsDemo);
        else
            Log.ModelUnavailable(logger, info.UnavailableReason ?? "unknown reason");
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Loading the image model in the background", EventName = "ModelLoadStarting")]
        public static partial void LoadStarting(ILogger logger);

        [LoggerMessage(2, LogLevel.Information, "Image model '{ModelName}' ready on {Provider} (demo: {IsDemo})", EventName = "ModelLoadSucceeded")]
        public static partial void LoadSucceeded(ILogger logger, string modelName, string provider, bool isDemo);

        [LoggerMessage(3, LogLevel.Warning, "Image model unavailable: {Reason}. The app keeps running without frames.", EventName = "ModelUnavailable")]
        public static partial void ModelUnavailable(ILogger logger, string reason);

        [LoggerMessage(4, LogLevel.Error, "Image model load failed unexpectedly. The app keeps running without frames.", EventName = "ModelLoadFailed")]
        public static partial void LoadFailed(ILogger logger, Exception exception);

        [LoggerMessage(5, LogLevel.Information, "Image model load cancelled by shutdown", EventName = "ModelLoadCancelled")]
        public static partial void LoadCancelled(ILogger logger);

        [LoggerMessage(6, LogLevel.Critical, "Inference:Device = cuda but CUDA cannot run; stopping. {Failure}", EventName = "RequiredProviderUnavailable")]
        public static partial void RequiredProviderUnavailable(ILogger logger, string failure);
    }
}
