using Microsoft.Extensions.Options;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// Removes empty rooms (<see cref="LocalRoomDirectory.EvictIdleRoomsAsync"/>) on a timer of the app's
/// <see cref="TimeProvider"/>: every quarter of <see cref="RoomOptions.EmptyRoomIdleTime"/>, at most once a minute, so an
/// empty room lives at most about 1¼ idle times.
/// </summary>
/// <param name="directory">The rooms.</param>
/// <param name="options">The idle time.</param>
/// <param name="time">The clock.</param>
/// <param name="logger">Logger.</param>
public sealed partial class EmptyRoomSweeper(LocalRoomDirectory directory, IOptions<RoomOptions> options, TimeProvider time, ILogger<EmptyRoomSweeper> logger)
    : BackgroundService
{
    /// <summary>How often the sweep runs for an idle time.</summary>
    /// <param name="idleTime">The <see cref="RoomOptions.EmptyRoomIdleTime"/>.</param>
    public static TimeSpan Interval(TimeSpan idleTime) =>
        TimeSpan.FromTicks(Math.Clamp(idleTime.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));

    private PeriodicTimer? _timer;

    /// <inheritdoc />
    /// <remarks>The timer starts here, so the first period counts from the host's start.</remarks>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = new PeriodicTimer(Interval(options.Value.EmptyRoomIdleTime), time);
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timer = _timer ?? throw new InvalidOperationException("StartAsync was not called.");
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await directory.EvictIdleRoomsAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The room is out of memory already; rows a failed delete left behind are restored at the next start as an
                    // empty room and removed again after its idle time.
                    Log.SweepFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Removing empty rooms failed; the next sweep tries again", EventName = "EmptyRoomSweepFailed")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
