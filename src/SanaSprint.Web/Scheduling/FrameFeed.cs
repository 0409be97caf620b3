using System.Collections.Concurrent;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Frame events per room for server-side consumers (Blazor components): the same frames and failures the hub group gets,
/// plus when a render starts. <c>Subscribe</c> on first render, marshal with <c>InvokeAsync</c>, dispose to unsubscribe.
/// </summary>
/// <param name="logger">Logs callbacks that throw (they never reach the scheduler).</param>
public sealed partial class FrameFeed(ILogger<FrameFeed> logger)
{
    private readonly ConcurrentDictionary<string, ImmutableSubscribers> _subscribers = new(StringComparer.Ordinal);

    /// <summary>Calls <paramref name="callback"/> for every frame event of <paramref name="roomId"/> until the result is disposed.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="callback">Called on a background thread; must not block (exceptions are logged and swallowed).</param>
    /// <returns>The subscription; dispose it to stop.</returns>
    public IDisposable Subscribe(string roomId, Func<FrameFeedEvent, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        ArgumentNullException.ThrowIfNull(callback);
        var subscription = new Subscription(this, roomId, callback);
        _subscribers.AddOrUpdate(roomId, _ => new([subscription]), (_, list) => new([.. list.Items, subscription]));
        return subscription;
    }

    /// <summary>Delivers an event to the room's subscribers without waiting for them.</summary>
    /// <param name="feedEvent">The event.</param>
    public void Publish(FrameFeedEvent feedEvent)
    {
        ArgumentNullException.ThrowIfNull(feedEvent);
        if (!_subscribers.TryGetValue(feedEvent.RoomId, out var list)) return;
        foreach (var subscription in list.Items) _ = Deliver(subscription, feedEvent);
    }

    private async Task Deliver(Subscription subscription, FrameFeedEvent feedEvent)
    {
        try
        {
            await subscription.Callback(feedEvent).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.CallbackFailed(logger, feedEvent.RoomId, ex);
        }
    }

    private void Remove(Subscription subscription)
    {
        while (_subscribers.TryGetValue(subscription.RoomId, out var list))
        {
            var rest = list.Items.Where(s => !ReferenceEquals(s, subscription)).ToArray();
            if (rest.Length == 0 ? _subscribers.TryRemove(new(subscription.RoomId, list)) : _subscribers.TryUpdate(subscription.RoomId, new(rest), list))
                return;
        }
    }

    private sealed record ImmutableSubscribers(Subscription[] Items);

    private sealed class Subscription(FrameFeed feed, string roomId, Func<FrameFeedEvent, Task> callback) : IDisposable
    {
        private int _disposed;
        public string RoomId { get; } = roomId;
        public Func<FrameFeedEvent, Task> Callback { get; } = callback;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) feed.Remove(this);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "A frame feed subscriber of room '{RoomId}' threw", EventName = "FrameFeedCallbackFailed")]
        public static partial void CallbackFailed(ILogger logger, string roomId, Exception exception);
    }
}

/// <summary>Something happened to a room's frames.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Revision">The revision concerned.</param>
public abstract record FrameFeedEvent(string RoomId, long Revision);

/// <summary>A frame for this revision is being rendered ("rendering…").</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Revision">The revision being rendered.</param>
/// <param name="IsRefinement">True for the refinement frame.</param>
public sealed record FrameRenderingEvent(string RoomId, long Revision, bool IsRefinement) : FrameFeedEvent(RoomId, Revision);

/// <summary>A frame arrived (the same one the hub group receives).</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Frame">The frame.</param>
public sealed record FrameReadyEvent(string RoomId, FrameMessage Frame) : FrameFeedEvent(RoomId, Frame.Revision);

/// <summary>A frame failed or frames are unavailable (the same message the hub group receives).</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Failure">What went wrong.</param>
public sealed record FrameFailedEvent(string RoomId, FrameFailedMessage Failure) : FrameFeedEvent(RoomId, Failure.Revision);
