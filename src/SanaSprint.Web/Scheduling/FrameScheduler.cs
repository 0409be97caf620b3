using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Renders each room's newest revision and pushes the frame to the room's group: the loop that ties the
/// <see cref="DirtyQueue"/> (which rooms, in what order), the <see cref="RunCoordinator"/> (one model run at a time,
/// batched, pre-emptible) and <see cref="FrameDelivery"/> (each room's frames in order) together.
/// </summary>
/// <remarks>
/// <para>Latest wins: a change marks the room dirty; when a run ends the newest revision is rendered next and the ones in
/// between are skipped. Dirty rooms with the same step count are batched into one <see cref="IImageGenerator.GenerateAsync"/>
/// call (up to <see cref="SchedulerOptions.BatchSize"/>), first-dirty first, and a rendered room goes to the back of the
/// queue, so no room starves. A room quiet for <see cref="SchedulerOptions.RefineDelay"/> gets one refinement frame at
/// <see cref="SchedulerOptions.RefineSteps"/>.</para>
/// <para>While the model is unavailable, dirty rooms are told once ("frames unavailable: reason") and wait; they render
/// when it becomes available. A failed unit of work is logged and the loop keeps serving.</para>
/// </remarks>
/// <param name="rooms">Where rooms' changes come from.</param>
/// <param name="queue">Which rooms need a frame.</param>
/// <param name="coordinator">Batches and runs the model.</param>
/// <param name="delivery">Sends frames.</param>
/// <param name="generator">The model (for its availability).</param>
/// <param name="options">The availability poll interval.</param>
/// <param name="time">The clock the loop waits on.</param>
/// <param name="logger">Logger.</param>
public sealed partial class FrameScheduler(
    IRenderSource rooms,
    DirtyQueue queue,
    RunCoordinator coordinator,
    FrameDelivery delivery,
    IImageGenerator generator,
    IOptions<SchedulerOptions> options,
    TimeProvider time,
    ILogger<FrameScheduler> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Counters since start: frames sent, frames failed, model runs, revisions skipped by latest-wins.</summary>
    public (long FramesSent, long FramesFailed, long ModelRuns, long RevisionsSkipped) Counters =>
        (delivery.FramesSent, delivery.FramesFailed, coordinator.ModelRuns, coordinator.RevisionsSkipped);

    /// <summary>Model runs cancelled since start because newer revisions of all their rooms arrived (pre-emption).</summary>
    public long RunsPreempted => coordinator.RunsPreempted;

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        rooms.RevisionChanged += MarkDirty;
        delivery.Delivered += Wake;
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        rooms.RevisionChanged -= MarkDirty;
        await base.StopAsync(cancellationToken);
        delivery.Delivered -= Wake;
    }

    /// <summary>Marks a room as changed: it will get a frame of its newest revision.</summary>
    /// <param name="roomId">The room.</param>
    public void MarkDirty(string roomId)
    {
        queue.MarkDirty(roomId);
        coordinator.RoomChanged();
        Wake();
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wait = await StepAsync(stoppingToken);
                await WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The loop never ends on a failed unit of work.
                Log.StepFailed(logger, ex);
            }
        }

        // Frames already rendered still reach their rooms.
        await delivery.DrainAsync(TimeSpan.FromSeconds(5));
    }

    /// <summary>Does one unit of work; returns how long to wait for the next one (zero: there is more to do now).</summary>
    private async Task<TimeSpan> StepAsync(CancellationToken ct)
    {
        var info = generator.Info;
        if (!info.IsAvailable)
        {
            var waiting = await coordinator.TellUnavailableAsync(info.UnavailableReason ?? "the model is not available");
            return waiting ? options.Value.AvailabilityPollInterval : Timeout.InfiniteTimeSpan;
        }

        var (batch, wait) = await coordinator.TakeBatchAsync();
        if (batch.Count == 0) return wait;
        await coordinator.RunAsync(batch, info, ct);
        return TimeSpan.Zero;
    }

    /// <summary>Waits until a room changes, a delivery ends or <paramref name="delay"/> has passed on the clock.</summary>
    private async Task WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        if (delay == TimeSpan.Zero) return;
        using var timer = delay == Timeout.InfiniteTimeSpan ? null : time.CreateTimer(_ => Wake(), null, delay, Timeout.InfiniteTimeSpan);
        await _wake.WaitAsync(ct);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The frame loop hit an unexpected error; it keeps serving", EventName = "FrameLoopError")]
        public static partial void StepFailed(ILogger logger, Exception exception);
    }
}
