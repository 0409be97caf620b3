using System.Collections.Concurrent;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// The rooms as one web node of a deployment sees them: every change goes to the room's <see cref="IRoomGrain"/> (the single
/// writer, wherever it lives), and the node's sessions (connection → participant) stay here. While the node has sessions
/// or page subscribers in a room it listens to the room (<see cref="RoomFeed"/>, an <see cref="IRoomObserver"/> renewed
/// every <see cref="RenewPeriod"/>) and hands each event to its hub connections (<see cref="IRoomEventSink"/>), each
/// frame to their outboxes, and each event to its page subscribers, in the room's order.
/// </summary>
/// <remarks>
/// As in one process, a change is handed to this node's connections and page subscribers before the call returns; other
/// nodes get it as soon as the grain has sent it to them (the grain awaits every node before its next event).
/// <see cref="RoomOptions.MaxRooms"/> counts the rooms stored in the whole deployment here.
/// </remarks>
public sealed partial class OrleansRoomDirectory : IRoomDirectory, IAsyncDisposable
{
    /// <summary>How often a node renews its subscriptions (well within <see cref="RoomGrain.ObserverLifetime"/>).</summary>
    public static readonly TimeSpan RenewPeriod = TimeSpan.FromSeconds(10);

    private readonly IGrainFactory _grains;
    private readonly RoomEditor _editor;
    private readonly IClusterRoomStore _store;
    private readonly SiloAddress _node;
    private readonly IRoomEventSink? _sink;
    private readonly ConnectionOutboxes? _outboxes;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RoomCaller> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RoomFeed> _feeds = new(StringComparer.Ordinal);
    private readonly Lock _feedGate = new();
    private readonly Timer _renewal;

    /// <summary>Creates the node's directory.</summary>
    /// <param name="grains">Reaches the room grains.</param>
    /// <param name="editor">The rules' limits and argument checks made before a call leaves the node.</param>
    /// <param name="store">Finds rooms by watch-only address and counts them.</param>
    /// <param name="silo">This node's silo.</param>
    /// <param name="sink">The node's hub connections (null: none, as in tests).</param>
    /// <param name="outboxes">The node's connections' outboxes, for frames (null: none).</param>
    /// <param name="logger">Logger.</param>
    public OrleansRoomDirectory(IGrainFactory grains, RoomEditor editor, IClusterRoomStore store, ILocalSiloDetails silo,
        IRoomEventSink? sink = null, ConnectionOutboxes? outboxes = null, ILogger<OrleansRoomDirectory>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(editor);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(silo);
        _grains = grains;
        _editor = editor;
        _store = store;
        _node = silo.SiloAddress;
        _sink = sink;
        _outboxes = outboxes;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _renewal = new Timer(_ => _ = RenewAsync(), null, RenewPeriod, RenewPeriod);
    }

    /// <inheritdoc />
    public RoomOptions Options => _editor.Options;

    /// <inheritdoc />
    public async ValueTask<string> CreateRoomAsync(CancellationToken cancellationToken = default)
    {
        if (await _store.CountAllAsync(cancellationToken).ConfigureAwait(false) >= Options.MaxRooms)
            throw new RoomException(RoomErrorCodes.Limit, $"The deployment already holds {Options.MaxRooms} rooms (`RoomOptions.MaxRooms`).");
        while (true)
        {
            var id = RoomEditor.NewRoomId();
            if (await Room(id).CreateAsync().ConfigureAwait(false)) return id; // false only on a 128-bit collision: draw again
        }
    }

    /// <inheritdoc />
    public async ValueTask<RoomAddress?> ResolveAsync(string? address, CancellationToken cancellationToken = default)
    {
        if (!RoomEditor.IsRoomId(address)) return null;
        if (await Room(address).ExistsAsync().ConfigureAwait(false)) return new RoomAddress(address, false);
        return await _store.FindByWatchIdAsync(address, cancellationToken).ConfigureAwait(false) is { } roomId ? new RoomAddress(roomId, true) : null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> RoomExistsAsync(string? roomId, CancellationToken cancellationToken = default) =>
        await ResolveAsync(roomId, cancellationToken).ConfigureAwait(false) is not null;

    /// <inheritdoc />
    public async ValueTask<int> CountRoomsAsync(CancellationToken cancellationToken = default) => await _store.CountAllAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<RoomView> GetViewAsync(string? roomId, CancellationToken cancellationToken = default)
    {
        var address = await RequireAddressAsync(roomId, cancellationToken).ConfigureAwait(false);
        return await Room(address.RoomId).GetViewAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<RoomCaller?> FindSessionAsync(string sessionId) =>
        ValueTask.FromResult(_sessions.TryGetValue(sessionId, out var caller) ? caller : (RoomCaller?)null);

    /// <inheritdoc />
    public async ValueTask CheckJoinAsync(string? roomId, string? displayName, string? rejoinParticipantId = null, string? rejoinToken = null,
        string? clientAddress = null, CancellationToken cancellationToken = default)
    {
        var address = await RequireAddressAsync(roomId, cancellationToken).ConfigureAwait(false);
        await Room(address.RoomId).CheckJoinAsync(new RoomJoinRequest("", displayName, rejoinParticipantId, rejoinToken, clientAddress, address.WatchOnly, _node)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<JoiningParticipant> ReserveAsync(string? roomId, string sessionId, string? displayName, string? rejoinParticipantId = null,
        string? rejoinToken = null, string? clientAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        var address = await RequireAddressAsync(roomId, cancellationToken).ConfigureAwait(false);
        if (!_sessions.TryAdd(sessionId, new RoomCaller(address.RoomId, "", sessionId)))
            throw new RoomException(RoomErrorCodes.Conflict, "This connection is already in a room; leave it first.");
        var feed = Acquire(address.RoomId);
        try
        {
            await ListeningAsync(feed).ConfigureAwait(false);
            var reserved = await Room(address.RoomId).ReserveAsync(
                new RoomJoinRequest(sessionId, displayName, rejoinParticipantId, rejoinToken, clientAddress, address.WatchOnly, _node)).ConfigureAwait(false);
            if (reserved.ReplacedSessionId is { } replaced && _sessions.TryRemove(replaced, out _)) Release(address.RoomId);
            _sessions[sessionId] = new RoomCaller(address.RoomId, reserved.Joining.Id, sessionId);
            return reserved.Joining;
        }
        catch
        {
            _sessions.TryRemove(sessionId, out _);
            Release(address.RoomId);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask<RoomView> AdmitAsync(JoiningParticipant joining, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(joining);
        return await CallAsync(joining.RoomId, room => room.AdmitAsync(joining)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<string?> LeaveAsync(string sessionId)
    {
        if (!_sessions.TryRemove(sessionId, out var session)) return null;
        try
        {
            return await CallAsync(session.RoomId, room => room.LeaveAsync(session.ParticipantId, sessionId)).ConfigureAwait(false) ? session.RoomId : null;
        }
        finally
        {
            Release(session.RoomId);
        }
    }

    /// <inheritdoc />
    public ValueTask<StrokeBegun> BeginStrokeAsync(RoomCaller caller, string? strokeId, string? colour, float width, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.BeginStrokeAsync(caller, strokeId, colour, width));

    /// <inheritdoc />
    public ValueTask<PointsAppended> AppendPointsAsync(RoomCaller caller, string? strokeId, IReadOnlyList<CanvasPoint>? points, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.AppendPointsAsync(caller, strokeId, points?.ToArray()));

    /// <inheritdoc />
    public ValueTask<StrokeEnded> EndStrokeAsync(RoomCaller caller, string? strokeId, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.EndStrokeAsync(caller, strokeId));

    /// <inheritdoc />
    public ValueTask<StrokesVisibilityChanged?> UndoAsync(RoomCaller caller, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.UndoAsync(caller));

    /// <inheritdoc />
    public ValueTask<StrokesVisibilityChanged?> RedoAsync(RoomCaller caller, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.RedoAsync(caller));

    /// <inheritdoc />
    public ValueTask<CanvasCleared?> ClearAsync(RoomCaller caller, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.ClearAsync(caller));

    /// <inheritdoc />
    public ValueTask<PromptChanged> SetPromptAsync(RoomCaller caller, string? prompt, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.SetPromptAsync(caller, prompt));

    /// <inheritdoc />
    public ValueTask<SettingsChanged> SetSettingsAsync(RoomCaller caller, FrameSettings? settings, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.SetSettingsAsync(caller, settings));

    /// <inheritdoc />
    public ValueTask<SettingsChanged> ApplyPresetAsync(RoomCaller caller, FrameSettings? settings, string? prompt, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.ApplyPresetAsync(caller, settings, prompt));

    /// <inheritdoc />
    public ValueTask<AccessChanged> SetLockedAsync(RoomCaller caller, bool locked, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.SetLockedAsync(caller, locked));

    /// <inheritdoc />
    public ValueTask<AccessChanged> HandOverHostAsync(RoomCaller caller, string? participantId, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.HandOverHostAsync(caller, participantId));

    /// <inheritdoc />
    public ValueTask<ParticipantRemoved> RemoveParticipantAsync(RoomCaller caller, string? participantId, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.RemoveParticipantAsync(caller, participantId));

    /// <inheritdoc />
    public ValueTask<CursorMoved?> CursorAsync(RoomCaller caller, float x, float y, CancellationToken cancellationToken = default) =>
        CallAsync(caller.RoomId, room => room.CursorAsync(caller, x, y));

    /// <inheritdoc />
    public async ValueTask<long> GetRevisionAsync(string roomId, CancellationToken cancellationToken = default)
    {
        RoomEditor.CheckRoomId(roomId);
        return await Room(roomId).GetRevisionAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IDisposable Subscribe(string roomId, Func<RoomEvent, Task> listener)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        ArgumentNullException.ThrowIfNull(listener);
        var feed = Acquire(roomId);
        feed.AddListener(listener);
        return new Subscription(this, feed, listener);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _renewal.DisposeAsync().ConfigureAwait(false);
        RoomFeed[] feeds;
        lock (_feedGate)
        {
            feeds = [.. _feeds.Values];
            _feeds.Clear();
        }
        foreach (var feed in feeds) await feed.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Renews every subscription of this node now (also done every <see cref="RenewPeriod"/>).</summary>
    /// <returns>Done when every room answered (or failed, logged).</returns>
    public async Task RenewAsync()
    {
        RoomFeed[] feeds;
        lock (_feedGate) feeds = [.. _feeds.Values];
        foreach (var feed in feeds)
        {
            try
            {
                await feed.SubscribeAsync(SessionsIn(feed.RoomId)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.RenewFailed(_logger, feed.RoomId, ex);
            }
        }
    }

    /// <summary>
    /// Calls the room's grain (after this node listens to it), then waits until this node's page subscribers have the
    /// events of the call, as <see cref="IRoomDirectory"/> promises.
    /// </summary>
    private async ValueTask<T> CallAsync<T>(string roomId, Func<IRoomGrain, Task<T>> call)
    {
        RoomEditor.CheckRoomId(roomId);
        RoomFeed? feed;
        lock (_feedGate) _feeds.TryGetValue(roomId, out feed);
        if (feed is not null) await ListeningAsync(feed).ConfigureAwait(false);
        var result = await call(Room(roomId)).ConfigureAwait(false);
        if (feed is not null) await feed.DeliveredAsync().ConfigureAwait(false);
        return result;
    }

    /// <summary>Waits until the node listens to the room; a first subscription that failed (the room's silo was going away) is tried again.</summary>
    private Task ListeningAsync(RoomFeed feed)
    {
        lock (_feedGate)
        {
            if (feed.Ready.IsFaulted || feed.Ready.IsCanceled) feed.Ready = feed.SubscribeAsync(SessionsIn(feed.RoomId));
            return feed.Ready;
        }
    }

    private IRoomGrain Room(string roomId) => _grains.GetGrain<IRoomGrain>(roomId);

    private async ValueTask<RoomAddress> RequireAddressAsync(string? address, CancellationToken cancellationToken)
    {
        RoomEditor.CheckRoomId(address);
        return await ResolveAsync(address, cancellationToken).ConfigureAwait(false) ?? throw new RoomException(RoomErrorCodes.NotFound, $"Room '{address}' does not exist.");
    }

    private string[] SessionsIn(string roomId) => [.. _sessions.Where(s => s.Value.RoomId == roomId).Select(s => s.Key)];

    /// <summary>Takes a hold on the room's feed, creating and subscribing it on the first hold.</summary>
    private RoomFeed Acquire(string roomId)
    {
        lock (_feedGate)
        {
            if (!_feeds.TryGetValue(roomId, out var feed))
            {
                feed = new RoomFeed(this, roomId);
                _feeds[roomId] = feed;
                feed.Ready = feed.SubscribeAsync(SessionsIn(roomId));
            }
            feed.Holds++;
            return feed;
        }
    }

    /// <summary>Lets go of a hold; the last one unsubscribes the feed.</summary>
    private void Release(string roomId)
    {
        RoomFeed? closing = null;
        lock (_feedGate)
        {
            if (_feeds.TryGetValue(roomId, out var feed) && --feed.Holds <= 0)
            {
                _feeds.Remove(roomId);
                closing = feed;
            }
        }
        if (closing is not null) _ = closing.CloseAsync();
    }

    /// <summary>A node's listener on one room: hands events to the node's connections at once, and to its page subscribers in order.</summary>
    private sealed class RoomFeed : IRoomObserver
    {
        private readonly OrleansRoomDirectory _directory;
        private readonly System.Threading.Channels.Channel<RoomEvent> _pending = System.Threading.Channels.Channel.CreateUnbounded<RoomEvent>(
            new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
        private readonly Lock _gate = new();
        private System.Collections.Immutable.ImmutableList<Func<RoomEvent, Task>> _listeners = [];
        private IRoomObserver? _reference;
        private long _queued, _delivered;
        private TaskCompletionSource? _caughtUp;

        public RoomFeed(OrleansRoomDirectory directory, string roomId)
        {
            _directory = directory;
            RoomId = roomId;
            Ready = Task.CompletedTask;
            _ = PumpAsync();
        }

        public string RoomId { get; }

        /// <summary>Holds by sessions and subscriptions of this node (under the directory's feed lock).</summary>
        public int Holds { get; set; }

        /// <summary>Completes once the first subscription reached the grain.</summary>
        public Task Ready { get; set; }

        public void AddListener(Func<RoomEvent, Task> listener)
        {
            lock (_gate) _listeners = _listeners.Add(listener);
        }

        public void RemoveListener(Func<RoomEvent, Task> listener)
        {
            lock (_gate) _listeners = _listeners.Remove(listener);
        }

        public async Task SubscribeAsync(string[] sessionIds)
        {
            _reference ??= _directory._grains.CreateObjectReference<IRoomObserver>(this);
            await _directory.Room(RoomId).SubscribeAsync(_reference, _directory._node, sessionIds).ConfigureAwait(false);
        }

        public async Task CloseAsync()
        {
            _pending.Writer.TryComplete();
            if (_reference is null) return;
            try
            {
                await _directory.Room(RoomId).UnsubscribeAsync(_reference).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.RenewFailed(_directory._logger, RoomId, ex);
            }
            _directory._grains.DeleteObjectReference<IRoomObserver>(_reference);
        }

        /// <summary>Completes once every event queued so far reached the page subscribers.</summary>
        public Task DeliveredAsync()
        {
            lock (_gate)
            {
                if (_delivered >= _queued) return Task.CompletedTask;
                _caughtUp ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _caughtUp.Task;
            }
        }

        public async Task OnEventAsync(RoomEvent roomEvent, string? exceptSessionId)
        {
            // A removed connection no longer speaks for the room on this node.
            if (roomEvent is ParticipantRemoved { SessionId: { } removed } && _directory._sessions.TryRemove(removed, out _))
                _directory.Release(RoomId);
            if (_directory._sink is { } sink) await sink.PublishAsync(roomEvent, exceptSessionId).ConfigureAwait(false);
            lock (_gate) _queued++;
            _pending.Writer.TryWrite(roomEvent);
        }

        public Task OnFrameAsync(FrameMessage frame)
        {
            _directory._outboxes?.PublishFrame(RoomId, frame);
            return Task.CompletedTask;
        }

        public Task OnFrameFailedAsync(FrameFailedMessage failure)
        {
            _directory._outboxes?.PublishFrameFailed(RoomId, failure);
            return Task.CompletedTask;
        }

        private async Task PumpAsync()
        {
            await Task.Yield();
            await foreach (var roomEvent in _pending.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                foreach (var listener in _listeners)
                {
                    try
                    {
                        await listener(roomEvent).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        Log.ListenerFailed(_directory._logger, RoomId, roomEvent.GetType().Name, ex);
                    }
                }
                TaskCompletionSource? caughtUp = null;
                lock (_gate)
                {
                    if (++_delivered >= _queued)
                    {
                        caughtUp = _caughtUp;
                        _caughtUp = null;
                    }
                }
                caughtUp?.TrySetResult();
            }
        }
    }

    private sealed class Subscription(OrleansRoomDirectory directory, RoomFeed feed, Func<RoomEvent, Task> listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            feed.RemoveListener(listener);
            directory.Release(feed.RoomId);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "A listener of room '{RoomId}' failed on '{EventName}'", EventName = "RoomListenerFailed")]
        public static partial void ListenerFailed(ILogger logger, string roomId, string eventName, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Renewing this node's subscription to room '{RoomId}' failed", EventName = "RoomRenewFailed")]
        public static partial void RenewFailed(ILogger logger, string roomId, Exception exception);
    }
}
