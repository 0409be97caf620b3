using System.Collections.Concurrent;
using System.Collections.Immutable;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// The rooms of this process: each room lives in the <see cref="IRoomStore"/>, and every change runs the
/// <see cref="RoomEditor"/> under that room's lock, hands the room's recorded changes to the store, publishes the event, and
/// for the calls that acknowledge a commit waits for the store's commit. Also the frame scheduler's
/// <see cref="IRenderSource"/>. Thread-safe.
/// </summary>
public sealed partial class LocalRoomDirectory : IRoomDirectory, IRenderSource
{
    private readonly IRoomStore _store;
    private readonly RoomEditor _editor;
    private readonly IRoomEventSink? _sink;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RoomCaller> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _addresses = new(StringComparer.Ordinal); // session → client address
    private readonly ConcurrentDictionary<string, ImmutableList<Func<RoomEvent, Task>>> _listeners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _watchIds = new(StringComparer.Ordinal); // watch-only address → room id
    private readonly Lock _createGate = new();

    /// <summary>Creates the directory over a store.</summary>
    /// <param name="store">Where rooms live.</param>
    /// <param name="editor">The rules.</param>
    /// <param name="sink">Where events go besides page subscribers (the sketch hub), or null.</param>
    /// <param name="logger">Logger (optional).</param>
    public LocalRoomDirectory(IRoomStore store, RoomEditor editor, IRoomEventSink? sink = null, ILogger<LocalRoomDirectory>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(editor);
        _store = store;
        _editor = editor;
        _sink = sink;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>Raised (outside any lock) with the room id after every revision bump; the frame scheduler listens.</summary>
    public event Action<string>? RevisionChanged;

    /// <inheritdoc />
    public RoomOptions Options => _editor.Options;

    /// <summary>How many rooms exist (for metrics, which read it synchronously).</summary>
    public int RoomCount => _store.Count;

    /// <inheritdoc />
    public ValueTask<string> CreateRoomAsync(CancellationToken cancellationToken = default)
    {
        lock (_createGate)
        {
            if (CountRoomsInUse() >= Options.MaxRooms)
                throw new RoomException(RoomErrorCodes.Limit, $"The server already holds {Options.MaxRooms} rooms in use (`RoomOptions.MaxRooms`).");
            while (true)
            {
                var room = _editor.CreateRoom(RoomEditor.NewRoomId());
                if (!_store.TryAdd(room)) continue; // a 128-bit collision; draw again
                _watchIds[room.WatchId] = room.Id;
                lock (room.Gate) HandOver(room);
                return ValueTask.FromResult(room.Id);
            }
        }
    }

    /// <summary>How many rooms are in use (someone in them, or strokes kept): the rooms <see cref="RoomOptions.MaxRooms"/> counts.</summary>
    public int CountRoomsInUse()
    {
        var count = 0;
        foreach (var room in _store.All())
        {
            lock (room.Gate)
            {
                if (!room.Evicted && RoomEditor.IsInUse(room)) count++;
            }
        }
        return count;
    }

    /// <summary>
    /// Removes every room that has been empty (nobody present or joining, no strokes) for <see cref="RoomOptions.EmptyRoomIdleTime"/>,
    /// from memory and from the store. A join that found such a room just before is refused as if the room did not exist.
    /// </summary>
    /// <param name="cancellationToken">Stops between rooms.</param>
    /// <returns>The number of rooms removed.</returns>
    public async Task<int> EvictIdleRoomsAsync(CancellationToken cancellationToken = default)
    {
        var removed = 0;
        foreach (var room in _store.All())
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (room.Gate)
            {
                if (room.Evicted || !_editor.IsIdleEmpty(room)) continue;
                room.Evicted = true;
            }
            await _store.RemoveAsync(room.Id, cancellationToken);
            removed++;
        }
        if (removed > 0) Log.Evicted(_logger, removed);
        return removed;
    }

    /// <inheritdoc />
    public ValueTask<RoomAddress?> ResolveAsync(string? address, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Resolve(address) is var (room, watching) && room is not null ? new RoomAddress(room.Id, watching) : null);

    /// <inheritdoc />
    public ValueTask<bool> RoomExistsAsync(string? roomId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Resolve(roomId).Room is not null);

    /// <summary>The room a link's address leads to (by id, else by watch-only address) and whether it was the watch-only one.</summary>
    private (Room? Room, bool Watching) Resolve(string? address)
    {
        if (!RoomEditor.IsRoomId(address)) return (null, false);
        if (_store.Find(address) is { } room) return (room, false);
        if (!_watchIds.TryGetValue(address, out var roomId) && _watchIds.Count < _store.Count)
        {
            // Rooms restored by the store at start are indexed on first use.
            foreach (var r in _store.All()) _watchIds.TryAdd(r.WatchId, r.Id);
            _watchIds.TryGetValue(address, out roomId);
        }
        return roomId is not null && _store.Find(roomId) is { } watched ? (watched, true) : (null, false);
    }

    /// <inheritdoc />
    public ValueTask<int> CountRoomsAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_store.Count);

    /// <inheritdoc />
    public ValueTask<RoomView> GetViewAsync(string? roomId, CancellationToken cancellationToken = default)
    {
        var room = RequireAddress(roomId).Room;
        lock (room.Gate) return ValueTask.FromResult(_editor.View(room, ""));
    }

    /// <inheritdoc />
    public ValueTask<RoomCaller?> FindSessionAsync(string sessionId) =>
        ValueTask.FromResult(_sessions.TryGetValue(sessionId, out var caller) ? caller : (RoomCaller?)null);

    /// <inheritdoc />
    public ValueTask CheckJoinAsync(string? roomId, string? displayName, string? rejoinParticipantId = null, string? rejoinToken = null,
        string? clientAddress = null, CancellationToken cancellationToken = default)
    {
        var room = RequireAddress(roomId).Room;
        _editor.CheckDisplayName(displayName);
        lock (room.Gate)
        {
            RequireLive(room);
            _editor.CheckPlace(room, rejoinParticipantId, rejoinToken);
            CheckSeatsOfAddress(room, clientAddress, rejoinParticipantId);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Refuses a place when the client's address already holds <see cref="RoomOptions.MaxParticipantsPerAddress"/> in the room.</summary>
    private void CheckSeatsOfAddress(Room room, string? clientAddress, string? rejoinParticipantId)
    {
        if (clientAddress is null) return;
        _editor.CheckSeatsOfAddress(_sessions.Count(s => s.Value.RoomId == room.Id && s.Value.ParticipantId != rejoinParticipantId
            && _addresses.TryGetValue(s.Key, out var a) && a == clientAddress));
    }

    /// <inheritdoc />
    public ValueTask<JoiningParticipant> ReserveAsync(string? roomId, string sessionId, string? displayName, string? rejoinParticipantId = null,
        string? rejoinToken = null, string? clientAddress = null, CancellationToken cancellationToken = default)
    {
        var (room, watching) = RequireAddress(roomId);
        lock (room.Gate)
        {
            RequireLive(room);
            if (_sessions.ContainsKey(sessionId))
                throw new RoomException(RoomErrorCodes.Conflict, "This connection is already in a room; leave it first.");
            CheckSeatsOfAddress(room, clientAddress, rejoinParticipantId);
            var (joining, replaced) = _editor.Reserve(room, sessionId, displayName, rejoinParticipantId, rejoinToken, watching);
            if (clientAddress is not null) _addresses[sessionId] = clientAddress;
            if (replaced is not null) _sessions.TryRemove(new KeyValuePair<string, RoomCaller>(replaced, new RoomCaller(room.Id, joining.Id, replaced)));
            _sessions[sessionId] = new RoomCaller(room.Id, joining.Id, sessionId);
            return ValueTask.FromResult(joining);
        }
    }

    /// <inheritdoc />
    public async ValueTask<RoomView> AdmitAsync(JoiningParticipant joining, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(joining);
        var room = RequireRoom(joining.RoomId);
        RoomView view;
        PresenceChanged presence;
        lock (room.Gate) (view, presence) = _editor.Admit(room, joining);
        await PublishAsync(presence, joining.SessionId);
        return view;
    }

    /// <inheritdoc />
    public async ValueTask<string?> LeaveAsync(string sessionId)
    {
        _addresses.TryRemove(sessionId, out _);
        if (!_sessions.TryRemove(sessionId, out var session)) return null;
        var room = _store.Find(session.RoomId);
        if (room is null) return null;
        PresenceChanged? presence;
        lock (room.Gate)
        {
            presence = _editor.Leave(room, session.ParticipantId, sessionId);
            HandOver(room);
        }
        if (presence is not null) await PublishAsync(presence, sessionId);
        return room.Id;
    }

    /// <inheritdoc />
    public ValueTask<StrokeBegun> BeginStrokeAsync(RoomCaller caller, string? strokeId, string? colour, float width, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.BeginStroke(room, caller, strokeId, colour, width), Ack.WriteBehind, cancellationToken)!;

    /// <inheritdoc />
    public ValueTask<PointsAppended> AppendPointsAsync(RoomCaller caller, string? strokeId, IReadOnlyList<CanvasPoint>? points, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.AppendPoints(room, caller, strokeId, points), Ack.WriteBehind, cancellationToken)!;

    /// <inheritdoc />
    public ValueTask<StrokeEnded> EndStrokeAsync(RoomCaller caller, string? strokeId, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.EndStroke(room, caller, strokeId), Ack.Committed, cancellationToken)!;

    /// <inheritdoc />
    public ValueTask<StrokesVisibilityChanged?> UndoAsync(RoomCaller caller, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.Undo(room, caller), Ack.Committed, cancellationToken);

    /// <inheritdoc />
    public ValueTask<StrokesVisibilityChanged?> RedoAsync(RoomCaller caller, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.Redo(room, caller), Ack.Committed, cancellationToken);

    /// <inheritdoc />
    public ValueTask<CanvasCleared?> ClearAsync(RoomCaller caller, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.Clear(room, caller), Ack.Committed, cancellationToken);

    /// <inheritdoc />
    public ValueTask<PromptChanged> SetPromptAsync(RoomCaller caller, string? prompt, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.SetPrompt(room, caller, prompt), Ack.Committed, cancellationToken)!;

    /// <inheritdoc />
    public ValueTask<SettingsChanged> SetSettingsAsync(RoomCaller caller, FrameSettings? settings, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.SetSettings(room, caller, settings), Ack.Committed, cancellationToken)!;

    /// <inheritdoc />
    public async ValueTask<SettingsChanged> ApplyPresetAsync(RoomCaller caller, FrameSettings? settings, string? prompt, CancellationToken cancellationToken = default)
    {
        var room = RequireRoom(caller.RoomId);
        (SettingsChanged Settings, PromptChanged? Prompt) result;
        lock (room.Gate)
        {
            try
            {
                result = _editor.ApplyPreset(room, caller, settings, prompt);
            }
            finally
            {
                HandOver(room);
            }
        }
        RevisionChanged?.Invoke(room.Id);
        await PublishAsync(result.Settings, null);
        if (result.Prompt is not null) await PublishAsync(result.Prompt, null);
        await _store.CommitAsync(room.Id, cancellationToken);
        return result.Settings;
    }

    /// <inheritdoc />
    public ValueTask<AccessChanged> SetLockedAsync(RoomCaller caller, bool locked, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.SetLocked(room, caller, locked), Ack.Committed, cancellationToken)!;

    /// <inheritdoc />
    public ValueTask<AccessChanged> HandOverHostAsync(RoomCaller caller, string? participantId, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.HandOverHost(room, caller, participantId), Ack.Committed, cancellationToken)!;

    /// <inheritdoc />
    public async ValueTask<ParticipantRemoved> RemoveParticipantAsync(RoomCaller caller, string? participantId, CancellationToken cancellationToken = default)
    {
        var room = RequireRoom(caller.RoomId);
        (ParticipantRemoved Removed, PresenceChanged? Presence) result;
        lock (room.Gate)
        {
            try
            {
                result = _editor.RemoveParticipant(room, caller, participantId);
                // Its connection stops speaking for the room at once: any further call of it is refused as not joined.
                if (result.Removed.SessionId is { } session)
                {
                    _sessions.TryRemove(new KeyValuePair<string, RoomCaller>(session, new RoomCaller(room.Id, result.Removed.ParticipantId, session)));
                    _addresses.TryRemove(session, out _);
                }
            }
            finally
            {
                HandOver(room);
            }
        }
        await PublishAsync(result.Removed, null);
        if (result.Presence is not null) await PublishAsync(result.Presence, null);
        await _store.CommitAsync(room.Id, cancellationToken);
        return result.Removed;
    }

    /// <inheritdoc />
    public ValueTask<CursorMoved?> CursorAsync(RoomCaller caller, float x, float y, CancellationToken cancellationToken = default) =>
        ChangeAsync(caller, room => _editor.Cursor(room, caller, x, y), Ack.None, cancellationToken);

    /// <inheritdoc />
    public ValueTask<long> GetRevisionAsync(string roomId, CancellationToken cancellationToken = default)
    {
        var room = RequireRoom(roomId);
        lock (room.Gate) return ValueTask.FromResult(room.Revision);
    }

    /// <inheritdoc />
    public IDisposable Subscribe(string roomId, Func<RoomEvent, Task> listener)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        ArgumentNullException.ThrowIfNull(listener);
        _listeners.AddOrUpdate(roomId, _ => [listener], (_, list) => list.Add(listener));
        return new Subscription(this, roomId, listener);
    }

    /// <inheritdoc />
    public ValueTask<RoomRenderState?> GetRenderStateAsync(string roomId, CancellationToken cancellationToken = default)
    {
        var room = _store.Find(roomId);
        if (room is null) return ValueTask.FromResult<RoomRenderState?>(null);
        lock (room.Gate) return ValueTask.FromResult<RoomRenderState?>(_editor.RenderState(room));
    }

    /// <inheritdoc />
    public ValueTask FrameReadyAsync(string roomId, FrameMessage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var room = _store.Find(roomId);
        if (room is null) return ValueTask.CompletedTask;
        lock (room.Gate)
        {
            RoomEditor.SetLastFrame(room, frame);
            HandOver(room);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>A room keeps no failures: its members were told, and its next revision is rendered as any other.</remarks>
    public ValueTask FrameFailedAsync(string roomId, FrameFailedMessage failure) => ValueTask.CompletedTask;

    private async ValueTask<T?> ChangeAsync<T>(RoomCaller caller, Func<Room, T?> edit, Ack ack, CancellationToken cancellationToken) where T : RoomEvent
    {
        var room = RequireRoom(caller.RoomId);
        T? result;
        lock (room.Gate)
        {
            try
            {
                result = edit(room);
            }
            finally
            {
                HandOver(room);
            }
        }
        if (result is null) return null;
        if (result.Revision > 0) RevisionChanged?.Invoke(room.Id);
        await PublishAsync(result, RoomEditor.EchoExcept(result, caller));
        if (ack == Ack.Committed) await _store.CommitAsync(room.Id, cancellationToken);
        return result;
    }

    /// <summary>Gives the store what the editor recorded; under the room's lock, so the store sees changes in order.</summary>
    private void HandOver(Room room)
    {
        foreach (var change in room.TakeChanges()) _store.OnChanged(room, change);
    }

    private async ValueTask PublishAsync(RoomEvent roomEvent, string? exceptSessionId)
    {
        if (_sink is not null) await _sink.PublishAsync(roomEvent, exceptSessionId);
        if (!_listeners.TryGetValue(roomEvent.RoomId, out var listeners)) return;
        foreach (var listener in listeners)
        {
            try
            {
                await listener(roomEvent);
            }
            catch (Exception ex)
            {
                Log.ListenerFailed(_logger, roomEvent.RoomId, roomEvent.GetType().Name, ex);
            }
        }
    }

    /// <summary>The room a link's address leads to, or a refusal naming the address.</summary>
    private (Room Room, bool Watching) RequireAddress(string? address)
    {
        RoomEditor.CheckRoomId(address);
        return Resolve(address) is (Room room, var watching) ? (room, watching)
            : throw new RoomException(RoomErrorCodes.NotFound, $"Room '{address}' does not exist.");
    }

    private Room RequireRoom(string? roomId)
    {
        RoomEditor.CheckRoomId(roomId);
        return _store.Find(roomId) ?? throw new RoomException(RoomErrorCodes.NotFound, $"Room '{roomId}' does not exist.");
    }

    /// <summary>Refuses a room removed as empty after the caller found it; under the room's lock.</summary>
    private static void RequireLive(Room room)
    {
        if (room.Evicted) throw new RoomException(RoomErrorCodes.NotFound, $"Room '{room.Id}' does not exist.");
    }

    /// <summary>When a change is acknowledged.</summary>
    private enum Ack
    {
        /// <summary>Not persistent (cursors).</summary>
        None,
        /// <summary>Once applied; the store writes it behind.</summary>
        WriteBehind,
        /// <summary>Once the store committed it.</summary>
        Committed,
    }

    private sealed class Subscription(LocalRoomDirectory directory, string roomId, Func<RoomEvent, Task> listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            directory._listeners.AddOrUpdate(roomId, _ => [], (_, list) => list.Remove(listener));
            directory._listeners.TryRemove(new KeyValuePair<string, ImmutableList<Func<RoomEvent, Task>>>(roomId, []));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "A listener of room '{RoomId}' failed on '{EventName}'", EventName = "RoomListenerFailed")]
        public static partial void ListenerFailed(ILogger logger, string roomId, string eventName, Exception exception);

        [LoggerMessage(2, LogLevel.Information, "Removed {RoomCount} rooms that stayed empty for RoomOptions.EmptyRoomIdleTime", EventName = "EmptyRoomsRemoved")]
        public static partial void Evicted(ILogger logger, int roomCount);
    }
}
