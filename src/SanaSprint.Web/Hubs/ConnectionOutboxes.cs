using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Hubs;

/// <summary>
/// Everything the server sends to sketch hub connections besides call replies and <c>Error</c>s: each connection in a room
/// has its own outbox, drained by its own pump task, so a hub call or a frame hands a message to every member's outbox
/// and returns without waiting for any of them to be sent. A connection that stops reading therefore holds up nobody
/// but itself. Which connections are in which room lives here (a connection is in at most one room).
/// </summary>
/// <remarks>
/// <para>Why: SignalR writes to one connection at a time through a bounded pipe (64 KiB by default,
/// <c>HttpConnectionDispatcherOptions.ApplicationMaxBufferSize</c>); once a client stops reading, each further send to
/// it waits until the connection is dropped. A send to a group awaits every member, so one stalled member used to hold
/// up every call of its room.</para>
/// <para>Each outbox has two lanes, sent by the connection's pump with the room events first:</para>
/// <list type="bullet">
/// <item><b>events</b> (strokes, undo/redo/clear, prompt, settings, presence, cursors): bounded by
/// <see cref="OutboxOptions.EventCapacity"/> and sent in the order they were published. A connection whose lane is full
/// has missed too much to catch up with events alone: it is disconnected (<see cref="HubCallerContext.Abort"/>) and, like
/// any client after a reconnect, rejoins with a fresh snapshot. A cursor that finds the lane full is dropped instead
/// (pointers are ephemeral and the next one supersedes it).</item>
/// <item><b>frames</b> (<c>Frame</c>, <c>FrameFailed</c>): latest wins — a lane of one, where a newer frame replaces an
/// unsent older one (<see cref="BoundedChannelFullMode.DropOldest"/>), so a slow client skips frames instead of
/// falling behind; a frame of a room the connection has left is not sent.</item>
/// </list>
/// <para>Frames of different rooms and connections go out concurrently: there is one pump per connection and no lock
/// around sending.</para>
/// </remarks>
public sealed partial class ConnectionOutboxes
{
    private readonly IHubContext<SketchHub, ISketchClient> _hub;
    private readonly int _eventCapacity;
    private readonly ILogger _logger;
    private readonly Lock _gate = new(); // serialises membership changes; readers use the immutable member arrays
    private readonly ConcurrentDictionary<string, Outbox> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ImmutableArray<Outbox>> _members = new(StringComparer.Ordinal);
    private long _framesDropped, _cursorsDropped, _overflowDisconnects;

    /// <summary>Creates the outboxes.</summary>
    /// <param name="hub">Sends to one connection (<c>Clients.Client(id)</c>).</param>
    /// <param name="options">The lanes' bounds.</param>
    /// <param name="logger">Logger.</param>
    public ConnectionOutboxes(IHubContext<SketchHub, ISketchClient> hub, IOptions<OutboxOptions> options, ILogger<ConnectionOutboxes> logger)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(options);
        _hub = hub;
        _eventCapacity = options.Value.EventCapacity;
        _logger = logger;
    }

    /// <summary>Unsent frames replaced by a newer one of the same connection since start (latest wins).</summary>
    public long FramesDropped => Interlocked.Read(ref _framesDropped);

    /// <summary>Cursor moves dropped since start because their connection's event lane was full.</summary>
    public long CursorsDropped => Interlocked.Read(ref _cursorsDropped);

    /// <summary>Connections disconnected since start because their event lane overflowed.</summary>
    public long OverflowDisconnects => Interlocked.Read(ref _overflowDisconnects);

    /// <summary>Open outboxes (connections that joined a room and have not disconnected).</summary>
    public int Count => _connections.Count;

    /// <summary>
    /// Puts a connection in a room (out of any other): from now on it is sent the room's events and frames. Creates the
    /// connection's outbox on its first join; it lives until <see cref="Close"/>.
    /// </summary>
    /// <param name="connectionId">The connection.</param>
    /// <param name="roomId">The room.</param>
    /// <param name="abort">Disconnects the connection (its <see cref="HubCallerContext.Abort"/>); called when its events overflow.</param>
    public void Enter(string connectionId, string roomId, Action abort)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(roomId);
        ArgumentNullException.ThrowIfNull(abort);
        lock (_gate)
        {
            var outbox = _connections.GetOrAdd(connectionId, id => new Outbox(this, id, abort));
            if (outbox.RoomId == roomId) return;
            RemoveMember(outbox);
            outbox.RoomId = roomId;
            _members.AddOrUpdate(roomId, _ => [outbox], (_, members) => members.Add(outbox));
        }
    }

    /// <summary>Takes a connection out of its room: it is sent nothing more of it (what is already queued still goes, frames excepted).</summary>
    /// <param name="connectionId">The connection.</param>
    public void Leave(string connectionId)
    {
        lock (_gate)
        {
            if (_connections.TryGetValue(connectionId, out var outbox)) RemoveMember(outbox);
        }
    }

    /// <summary>Removes a disconnected connection's outbox; what it still held is discarded and its pump ends.</summary>
    /// <param name="connectionId">The connection.</param>
    public void Close(string connectionId)
    {
        Outbox? outbox;
        lock (_gate)
        {
            if (!_connections.TryRemove(connectionId, out outbox)) return;
            RemoveMember(outbox);
        }
        outbox.Shut();
    }

    /// <summary>Queues a room event for every connection in its room (but one); returns at once.</summary>
    /// <param name="roomEvent">The event.</param>
    /// <param name="exceptConnectionId">A connection that already has it (the sender of its own drawing), or null.</param>
    public void Publish(RoomEvent roomEvent, string? exceptConnectionId)
    {
        ArgumentNullException.ThrowIfNull(roomEvent);
        if (!_members.TryGetValue(roomEvent.RoomId, out var members)) return;
        foreach (var outbox in members)
        {
            if (!string.Equals(outbox.Id, exceptConnectionId, StringComparison.Ordinal)) outbox.PostEvent(roomEvent);
        }
    }

    /// <summary>Queues a room event for one connection of the room, then takes it out of the room (see <see cref="Leave"/>).</summary>
    /// <param name="connectionId">The connection.</param>
    /// <param name="roomEvent">The last event of the room it is sent.</param>
    public void PublishLast(string connectionId, RoomEvent roomEvent)
    {
        ArgumentNullException.ThrowIfNull(roomEvent);
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var outbox) || outbox.RoomId != roomEvent.RoomId) return;
            outbox.PostEvent(roomEvent);
            RemoveMember(outbox);
        }
    }

    /// <summary>Queues a frame for every connection in its room, replacing any unsent older one; returns at once.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="frame">The frame.</param>
    public void PublishFrame(string roomId, FrameMessage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        PostFrame(roomId, frame);
    }

    /// <summary>Queues a frame failure like a frame (the newest of the two wins).</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="failure">What the members are told.</param>
    public void PublishFrameFailed(string roomId, FrameFailedMessage failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        PostFrame(roomId, failure);
    }

    /// <summary>
    /// Completes once every event queued for the connection so far has been sent (or the connection is gone): the hub
    /// awaits it before replying, so a caller sees the events of its own call, and those of a room it left, before the
    /// reply. Only the caller's own reading holds it up.
    /// </summary>
    /// <param name="connectionId">The connection.</param>
    /// <returns>Done when the events queued before it are sent.</returns>
    public Task FlushAsync(string connectionId) =>
        _connections.TryGetValue(connectionId, out var outbox) ? outbox.FlushAsync() : Task.CompletedTask;

    /// <summary>Events (and flushes) queued for a connection and not yet taken by its pump, or null when it has no outbox.</summary>
    /// <param name="connectionId">The connection.</param>
    /// <returns>The count.</returns>
    public int? Backlog(string connectionId) => _connections.TryGetValue(connectionId, out var outbox) ? outbox.Backlog : null;

    private void PostFrame(string roomId, object message)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        if (!_members.TryGetValue(roomId, out var members)) return;
        var pending = new PendingFrame(roomId, message);
        foreach (var outbox in members) outbox.PostFrame(pending);
    }

    /// <summary>Under <see cref="_gate"/>: takes the outbox out of its room's members.</summary>
    private void RemoveMember(Outbox outbox)
    {
        if (outbox.RoomId is not { } roomId) return;
        outbox.RoomId = null;
        if (!_members.TryGetValue(roomId, out var members)) return;
        var left = members.Remove(outbox);
        if (left.IsEmpty) _members.TryRemove(roomId, out _);
        else _members[roomId] = left;
    }

    private void Overflowed(Outbox outbox)
    {
        var roomId = outbox.RoomId;
        if (!outbox.Shut()) return; // already closed or disconnected
        lock (_gate)
        {
            _connections.TryRemove(new KeyValuePair<string, Outbox>(outbox.Id, outbox));
            RemoveMember(outbox);
        }
        Interlocked.Increment(ref _overflowDisconnects);
        Log.Overflowed(_logger, outbox.Id, roomId, _eventCapacity);
        try
        {
            outbox.Abort();
        }
        catch (Exception ex)
        {
            Log.AbortFailed(_logger, outbox.Id, ex);
        }
    }

    /// <summary>A frame or frame failure for one room.</summary>
    private sealed record PendingFrame(string RoomId, object Message);

    /// <summary>One connection's lanes and the pump that sends them.</summary>
    private sealed class Outbox
    {
        private readonly ConnectionOutboxes _owner;
        private readonly Action _abort;
        private readonly ISketchClient _client;
        private readonly Channel<object> _events; // RoomEvent, or a TaskCompletionSource marking a flush
        private readonly Channel<PendingFrame> _frames;
        private readonly Channel<bool> _doorbell; // rung after every write to a lane; holds at most one ring
        private volatile string? _roomId;
        private int _shut;
        private int _unsent; // events posted and not yet sent: a flush with none waits for nothing

        public Outbox(ConnectionOutboxes owner, string id, Action abort)
        {
            _owner = owner;
            _abort = abort;
            Id = id;
            _client = owner._hub.Clients.Client(id);
            _events = Channel.CreateBounded<object>(new BoundedChannelOptions(owner._eventCapacity)
            {
                FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the overflow is seen where it happens
                SingleReader = true,
            });
            _frames = Channel.CreateBounded<PendingFrame>(new BoundedChannelOptions(1)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
            }, _ => Interlocked.Increment(ref owner._framesDropped));
            _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
            {
                FullMode = BoundedChannelFullMode.DropWrite,
                SingleReader = true,
            });
            _ = PumpAsync();
        }

        public string Id { get; }

        /// <summary>The room whose events and frames this connection is sent; changed under the owner's gate.</summary>
        public string? RoomId
        {
            get => _roomId;
            set => _roomId = value;
        }

        public int Backlog => _events.Reader.Count;

        public void Abort() => _abort();

        public void PostEvent(RoomEvent roomEvent)
        {
            Interlocked.Increment(ref _unsent);
            if (_events.Writer.TryWrite(roomEvent))
            {
                Ring();
                return;
            }
            Interlocked.Decrement(ref _unsent);
            if (Volatile.Read(ref _shut) != 0) return;
            if (roomEvent is CursorMoved)
            {
                Interlocked.Increment(ref _owner._cursorsDropped);
                return;
            }
            _owner.Overflowed(this);
        }

        public void PostFrame(PendingFrame frame)
        {
            if (_frames.Writer.TryWrite(frame)) Ring();
        }

        public Task FlushAsync()
        {
            if (Volatile.Read(ref _unsent) == 0) return Task.CompletedTask;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_events.Writer.TryWrite(done))
            {
                Ring();
                return done.Task;
            }
            if (Volatile.Read(ref _shut) == 0) _owner.Overflowed(this);
            return Task.CompletedTask;
        }

        /// <summary>Stops taking and sending; the pump completes pending flushes and ends. False when already shut.</summary>
        public bool Shut()
        {
            if (Interlocked.Exchange(ref _shut, 1) != 0) return false;
            _events.Writer.TryComplete();
            _frames.Writer.TryComplete();
            _doorbell.Writer.TryComplete();
            return true;
        }

        private void Ring() => _doorbell.Writer.TryWrite(true);

        private async Task PumpAsync()
        {
            await Task.Yield();
            var doorbell = _doorbell.Reader;
            // A write is followed by a ring, and the ring is taken before the lanes are read: nothing is missed.
            while (await doorbell.WaitToReadAsync())
            {
                doorbell.TryRead(out _);
                while (Volatile.Read(ref _shut) == 0)
                {
                    if (_events.Reader.TryRead(out var item)) await SendEventAsync(item);
                    else if (_frames.Reader.TryRead(out var frame)) await SendFrameAsync(frame);
                    else break;
                }
            }
            while (_events.Reader.TryRead(out var item))
            {
                if (item is TaskCompletionSource flushed) flushed.TrySetResult();
            }
        }

        private async Task SendEventAsync(object item)
        {
            if (item is TaskCompletionSource flushed)
            {
                flushed.TrySetResult();
                return;
            }
            try
            {
                await _client.SendAsync((RoomEvent)item);
            }
            catch (Exception ex)
            {
                Log.SendFailed(_owner._logger, Id, item.GetType().Name, ex);
            }
            finally
            {
                Interlocked.Decrement(ref _unsent);
            }
        }

        private async Task SendFrameAsync(PendingFrame frame)
        {
            if (!string.Equals(frame.RoomId, _roomId, StringComparison.Ordinal)) return; // left that room meanwhile
            try
            {
                await (frame.Message is FrameMessage message ? _client.Frame(message) : _client.FrameFailed((FrameFailedMessage)frame.Message));
            }
            catch (Exception ex)
            {
                Log.SendFailed(_owner._logger, Id, frame.Message.GetType().Name, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Connection '{ConnectionId}' in room '{RoomId}' fell {Capacity} events behind (`Outbox:EventCapacity`) and was disconnected",
            EventName = "OutboxOverflow")]
        public static partial void Overflowed(ILogger logger, string connectionId, string? roomId, int capacity);

        [LoggerMessage(2, LogLevel.Warning, "Disconnecting connection '{ConnectionId}' after its outbox overflowed failed", EventName = "OutboxAbortFailed")]
        public static partial void AbortFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(3, LogLevel.Warning, "Sending '{MessageType}' to connection '{ConnectionId}' failed", EventName = "OutboxSendFailed")]
        public static partial void SendFailed(ILogger logger, string connectionId, string messageType, Exception exception);
    }
}
