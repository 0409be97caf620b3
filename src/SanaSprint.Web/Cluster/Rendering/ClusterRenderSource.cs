using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Observability;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>
/// The frame scheduler's rooms on a GPU node: the rooms whose renderer grains live on this silo. A renderer told of a new
/// revision marks its room dirty here (<see cref="RevisionChanged"/>), so today's <see cref="FrameScheduler"/>,
/// <see cref="RunCoordinator"/> and <see cref="FrameDelivery"/> run unchanged on top: latest wins, rooms batch together,
/// round-robin, pre-emption and refinement, per GPU process. When the scheduler takes a room, its state is pulled from the
/// room's feed as a stroke delta (<see cref="RenderStrokeSync"/>) and merged into the strokes held for it; frames and
/// failures go back to the room's feed.
/// </summary>
/// <remarks>
/// <para>A room that is not held here (its renderer deactivated or was released) reads as gone, so the scheduler skips it.
/// A pull that fails (the room's silo is down, the call timed out) is logged and also reads as gone: the room's watchdog
/// dispatches the revision again, and the other rooms of the batch are not held up.</para>
/// <para>Over <see cref="GpuOptions.MaxRooms"/> the rooms whose last revision is oldest are released (their renderer
/// deactivates; their next revision is placed again by load).</para>
/// </remarks>
public sealed partial class ClusterRenderSource : IRenderSource
{
    private readonly IRoomFeedLocator _feeds;
    private readonly GpuOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, HeldRoom> _rooms = new(StringComparer.Ordinal);
    private readonly Lock _attachGate = new();
    private long _pulls, _pullFailures, _shed;

    /// <summary>Creates the source.</summary>
    /// <param name="feeds">Where rooms' feeds are.</param>
    /// <param name="options">This GPU's capacity.</param>
    /// <param name="time">The clock revisions' ages are kept on.</param>
    /// <param name="logger">Logger.</param>
    public ClusterRenderSource(IRoomFeedLocator feeds, IOptions<GpuOptions> options, TimeProvider time, ILogger<ClusterRenderSource> logger)
    {
        ArgumentNullException.ThrowIfNull(feeds);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _feeds = feeds;
        _options = options.Value;
        _time = time;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc />
    public event Action<string>? RevisionChanged;

    /// <summary>Rooms rendered by this GPU process now (their renderers are active here).</summary>
    public int Renderers => _rooms.Count;

    /// <summary>Render-state pulls since start.</summary>
    public long Pulls => Interlocked.Read(ref _pulls);

    /// <summary>Render-state pulls that failed since start (the room read as gone).</summary>
    public long PullFailures => Interlocked.Read(ref _pullFailures);

    /// <summary>Rooms released since start because this GPU was over <see cref="GpuOptions.MaxRooms"/>.</summary>
    public long RoomsShed => Interlocked.Read(ref _shed);

    /// <summary>Whether a room is rendered here.</summary>
    /// <param name="roomId">The room.</param>
    public bool Holds(string roomId) => _rooms.ContainsKey(roomId);

    /// <summary>The rooms rendered here.</summary>
    public IReadOnlyCollection<string> RoomIds => [.. _rooms.Keys];

    /// <summary>
    /// Its renderer was told of a new revision: holds the room (when new here, releasing the idlest other room once over
    /// <see cref="GpuOptions.MaxRooms"/>) and marks it dirty.
    /// </summary>
    /// <param name="roomId">The room.</param>
    /// <param name="revision">Its newest revision.</param>
    /// <param name="release">Releases the room's renderer (called when this GPU sheds the room).</param>
    public void Notify(string roomId, long revision, Func<Task> release)
    {
        ArgumentException.ThrowIfNullOrEmpty(roomId);
        ArgumentNullException.ThrowIfNull(release);
        HeldRoom? victim = null;
        string? victimId = null;
        lock (_attachGate)
        {
            if (!_rooms.TryGetValue(roomId, out var room))
            {
                _rooms[roomId] = room = new HeldRoom(release);
                if (_rooms.Count > _options.MaxRooms) (victimId, victim) = Idlest(roomId);
            }
            room.Seen(revision, _time.GetTimestamp());
        }
        if (victim is not null) Shed(victimId!, victim);
        RevisionChanged?.Invoke(roomId);
    }

    /// <summary>The room's renderer deactivated or was released: forgets its strokes and frees its place.</summary>
    /// <param name="roomId">The room.</param>
    public void Forget(string roomId)
    {
        lock (_attachGate) _rooms.TryRemove(roomId, out _);
    }

    /// <summary>The held room (other than <paramref name="except"/>) whose last revision is oldest.</summary>
    private (string?, HeldRoom?) Idlest(string except)
    {
        (string? Id, HeldRoom? Room) idlest = (null, null);
        foreach (var (id, room) in _rooms)
        {
            if (id == except || room.Releasing) continue;
            if (idlest.Room is null || room.LastSeen < idlest.Room.LastSeen) idlest = (id, room);
        }
        if (idlest.Room is not null) idlest.Room.Releasing = true;
        return idlest;
    }

    private void Shed(string roomId, HeldRoom room)
    {
        Interlocked.Increment(ref _shed);
        Log.Shedding(_logger, roomId, _options.MaxRooms);
        _ = ReleaseAsync();

        async Task ReleaseAsync()
        {
            try
            {
                await room.Release();
            }
            catch (Exception ex)
            {
                Log.ShedFailed(_logger, roomId, ex);
                Forget(roomId);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<RoomRenderState?> GetRenderStateAsync(string roomId, CancellationToken cancellationToken = default)
    {
        if (!_rooms.TryGetValue(roomId, out var room)) return null;
        await room.Pulling.WaitAsync(cancellationToken);
        try
        {
            var feed = _feeds.Feed(roomId);
            var delta = await PullAsync(roomId, feed, room.Prefix);
            if (delta is null) return null;
            var merged = RenderStrokeSync.Merge(room.Strokes, delta);
            if (merged is null)
            {
                // The room's delta does not fit what is held here: ask for everything.
                Log.DeltaMismatch(_logger, roomId, delta.KeptStrokes, room.Strokes.Count);
                delta = await PullAsync(roomId, feed, RenderStrokePrefix.None);
                if (delta is null) return null;
                merged = RenderStrokeSync.Merge([], delta);
                if (merged is null)
                {
                    Log.BadDelta(_logger, roomId);
                    return null;
                }
            }
            (room.Strokes, room.Prefix) = merged.Value;
            return RenderStrokeSync.ToState(delta, room.Strokes);
        }
        finally
        {
            room.Pulling.Release();
        }
    }

    private async Task<RenderStateDelta?> PullAsync(string roomId, IRoomRenderFeedGrain feed, RenderStrokePrefix known)
    {
        var started = _time.GetTimestamp();
        Interlocked.Increment(ref _pulls);
        try
        {
            var delta = await feed.GetRenderStateAsync(known);
            SanaSprintMetrics.RecordGrainCall("render_state", _time.GetElapsedTime(started).TotalMilliseconds, true);
            if (delta is not null && delta.RoomId != roomId)
                throw new InvalidOperationException($"The feed of room '{roomId}' answered for room '{delta.RoomId}'.");
            return delta;
        }
        catch (Exception ex)
        {
            SanaSprintMetrics.RecordGrainCall("render_state", _time.GetElapsedTime(started).TotalMilliseconds, false);
            Interlocked.Increment(ref _pullFailures);
            Log.PullFailed(_logger, roomId, ex);
            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask FrameReadyAsync(string roomId, FrameMessage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        await _feeds.Feed(roomId).FrameReadyAsync(frame);
    }

    /// <inheritdoc />
    public async ValueTask FrameFailedAsync(string roomId, FrameFailedMessage failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        await _feeds.Feed(roomId).FrameFailedAsync(failure);
    }

    /// <summary>One room rendered here: the strokes held for it, the prefix to ask with, when it last changed.</summary>
    private sealed class HeldRoom(Func<Task> release)
    {
        public readonly SemaphoreSlim Pulling = new(1, 1);   // one pull at a time, so each merges onto the previous
        public IReadOnlyList<StrokeSnapshot> Strokes = [];    // under Pulling
        public RenderStrokePrefix Prefix = RenderStrokePrefix.None; // under Pulling
        public long LastRevision;                             // under the attach lock
        public long LastSeen;                                 // under the attach lock: the clock's timestamp of its last revision
        public bool Releasing;                                // under the attach lock
        public Func<Task> Release { get; } = release;

        public void Seen(long revision, long now)
        {
            if (revision > LastRevision) LastRevision = revision;
            LastSeen = now;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Reading the render state of room '{RoomId}' failed; it is skipped until its next revision", EventName = "RenderStatePullFailed")]
        public static partial void PullFailed(ILogger logger, string roomId, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Room '{RoomId}' sent a stroke delta keeping {Kept} strokes of {Held} held; asking for every stroke", EventName = "RenderStateDeltaMismatch")]
        public static partial void DeltaMismatch(ILogger logger, string roomId, int kept, int held);

        [LoggerMessage(3, LogLevel.Error, "Room '{RoomId}' sent a full render state that does not add up; it is skipped", EventName = "RenderStateInvalid")]
        public static partial void BadDelta(ILogger logger, string roomId);

        [LoggerMessage(4, LogLevel.Information, "This GPU holds more than {MaxRooms} rooms (Gpu:MaxRooms); releasing idle room '{RoomId}'", EventName = "RendererShed")]
        public static partial void Shedding(ILogger logger, string roomId, int maxRooms);

        [LoggerMessage(5, LogLevel.Warning, "Releasing room '{RoomId}' from this GPU failed; it is forgotten here", EventName = "RendererShedFailed")]
        public static partial void ShedFailed(ILogger logger, string roomId, Exception exception);
    }
}
