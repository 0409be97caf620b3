using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Options;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// Retries a call to a room grain that never reached a live activation: its silo died and is not yet declared dead
/// (<see cref="OrleansMessageRejectionException"/>, <see cref="SiloUnavailableException"/>). Once membership declares the
/// silo dead (within <see cref="DeploymentOptions.ProbeTimeout"/> × <see cref="DeploymentOptions.MissedProbesLimit"/> and
/// the votes) the room activates on a live web silo from its store, so a browser that reconnects to another node rejoins
/// at once instead of seeing an error. Bounded by twice <see cref="DeploymentOptions.GrainCallTimeout"/>.
/// </summary>
/// <param name="options">The deployment's timeouts.</param>
public sealed class RoomCallRetryFilter(IOptions<DeploymentOptions> options) : IOutgoingGrainCallFilter
{
    /// <inheritdoc />
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Grain is not IRoomGrain)
        {
            await context.Invoke();
            return;
        }
        var limit = options.Value.GrainCallTimeout * 2;
        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            ExceptionDispatchInfo? thrown = null;
            try
            {
                await context.Invoke();
            }
            catch (Exception ex)
            {
                thrown = ExceptionDispatchInfo.Capture(ex);
            }
            var failure = thrown?.SourceException ?? context.Response?.Exception;
            if (failure is not (OrleansMessageRejectionException or SiloUnavailableException) || Stopwatch.GetElapsedTime(started) + delay > limit)
            {
                thrown?.Throw();
                return;
            }
            await Task.Delay(delay);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }
}
