using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Persistence;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// A durable <see cref="IRoomStore"/> over SQLite: rooms are restored when the store is created; every change reported
/// through <see cref="OnChanged"/> is queued and written at most <see cref="PersistenceOptions.FlushInterval"/> later, at once
/// when a caller awaits <see cref="CommitAsync"/>, and once more when the host stops or the store is disposed.
/// </summary>
/// <remarks>
/// <para>What survives a restart: rooms with their prompt, settings and revision; visible strokes with owner, colour, width,
/// points and z-order; the participant counter and names; who may do what (watch-only address, host, lock, watchers,
/// removed participants) and the rejoin tokens, so participants who come back within the rejoin window keep their role; the newest frame (up to <see cref="PersistenceOptions.MaxImageBytes"/>),
/// so a joiner sees the last picture at once. What does not: presence, and undo/redo history (so strokes hidden by an undo
/// or a clear are dropped at start, and strokes still being drawn are ended).</para>
/// <para>Group commit: one write at a time; <see cref="CommitAsync"/> callers that arrive while a write is in progress are all
/// served by the next one, which writes every room queued by then in one pass.</para>
/// <para><see cref="OnChanged"/> runs under the room's lock and only records what to write; the writer takes the room's lock
/// briefly to copy the state, then writes outside it. A failed write keeps the changes queued and is retried.</para>
/// </remarks>
public sealed partial class SqliteRoomStore : IRoomStore, IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RoomTracking> _tracking = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _dirtyRooms = new(StringComparer.Ordinal);
    private readonly SanaSprintDatabase _database;
    private readonly PersistenceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteRoomStore> _logger;
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private volatile string? _lastFailure;
    private long _pendingSince;
    private long _changeSequence;
    private long _committedSequence;
    private int _disposed;

    /// <summary>Opens the store and restores every room kept in the database.</summary>
    /// <param name="database">The database.</param>
    /// <param name="options">Flush interval and retention.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="time">Clock (optional).</param>
    public SqliteRoomStore(SanaSprintDatabase database, IOptions<PersistenceOptions> options, ILogger<SqliteRoomStore> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        var started = Stopwatch.GetTimestamp();
        var (rooms, strokes, dropped) = Restore();
        Log.Restored(logger, rooms, strokes, dropped, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Why the last write failed, or null when the last write succeeded.</summary>
    public string? LastFailure => _lastFailure;

    /// <summary>How many rooms have changes not yet on disk.</summary>
    public int PendingRooms => _dirtyRooms.Count;

    /// <inheritdoc />
    public int Count => _rooms.Count;

    /// <inheritdoc />
    public Room? Find(string roomId) => _rooms.GetValueOrDefault(roomId);

    /// <inheritdoc />
    public bool TryAdd(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (!_rooms.TryAdd(room.Id, room)) return false;
        _tracking.TryAdd(room.Id, new RoomTracking());
        return true;
    }

    /// <inheritdoc />
    public IReadOnlyCollection<Room> All() => [.. _rooms.Values];

    /// <inheritdoc />
    /// <remarks>
    /// The rows are deleted under the writer's gate, so a write of the room that was in progress finishes first and none
    /// can follow (the room is no longer in memory to be captured).
    /// </remarks>
    public async ValueTask RemoveAsync(string roomId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        if (!_rooms.TryRemove(roomId, out _)) return;
        _tracking.TryRemove(roomId, out _);
        _dirtyRooms.TryRemove(roomId, out _);
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            using var context = _database.CreateContext();
            using var transaction = context.Database.BeginTransaction();
            context.Strokes.Where(s => s.RoomId == roomId).ExecuteDelete();
            context.RoomFrames.Where(f => f.RoomId == roomId).ExecuteDelete();
            context.Rooms.Where(r => r.Id == roomId).ExecuteDelete();
            transaction.Commit();
        }
        finally
        {
            _flushGate.Release();
        }
        Log.Removed(_logger, roomId);
    }

    /// <inheritdoc />
    public void OnChanged(Room room, RoomChange change)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(change);
        if (!_rooms.ContainsKey(room.Id)) return; // removed: nothing of it is written again
        var tracking = _tracking.GetOrAdd(room.Id, _ => new RoomTracking());
        lock (tracking)
        {
            switch (change.Kind)
            {
                case RoomChangeKind.StrokeBegun when change.StrokeId is not null:
                    tracking.Seq[change.StrokeId] = ++tracking.NextSeq;
                    tracking.DirtyStrokes.Add(change.StrokeId);
                    break;
                case RoomChangeKind.PointsAppended or RoomChangeKind.StrokeEnded when change.StrokeId is not null:
                    tracking.DirtyStrokes.Add(change.StrokeId);
                    break;
                case RoomChangeKind.Visibility or RoomChangeKind.StrokesPurged:
                    tracking.AllStrokes = true;
                    break;
                case RoomChangeKind.Frame:
                    tracking.FrameDirty = true;
                    break;
            }
        }
        if (_dirtyRooms.TryAdd(room.Id, 0)) Interlocked.CompareExchange(ref _pendingSince, Stopwatch.GetTimestamp(), 0);
        // Numbered after it is queued: a write that starts after reading this number includes the change.
        Interlocked.Increment(ref _changeSequence);
    }

    /// <inheritdoc />
    /// <remarks>Commits every change queued so far (of any room), unless a write that started after them has already succeeded.</remarks>
    public async ValueTask CommitAsync(string roomId, CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _changeSequence);
        if (Interlocked.Read(ref _committedSequence) >= target) return;
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            // The write that held the gate may have covered this change (group commit).
            if (Interlocked.Read(ref _committedSequence) >= target) return;
            FlushCore();
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>Writes every queued change now.</summary>
    /// <param name="cancellationToken">Stops waiting for a write in progress.</param>
    /// <returns>The number of rooms written.</returns>
    public async Task<int> FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            return FlushCore();
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>Checks that the database answers a query.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>True when reachable.</returns>
    public async Task<bool> CanConnectAsync(CancellationToken cancellationToken = default)
    {
        await using var context = _database.CreateContext();
        return await context.Database.CanConnectAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0) return; // Dispose already flushed
        if (_stopping is not null) await _stopping.CancelAsync();
        if (_loop is not null) await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        // Shutdown flushes what is still queued.
        await FlushAsync(cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping?.Cancel();
        try
        {
            _flushGate.Wait();
            try
            {
                FlushCore();
            }
            finally
            {
                _flushGate.Release();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.FlushFailed(_logger, _dirtyRooms.Count, ex);
        }
        _stopping?.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                if (_dirtyRooms.IsEmpty) continue;
                try
                {
                    await FlushAsync(stopping);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    // FlushCore keeps failed rooms queued; the next tick retries them.
                    Log.FlushFailed(_logger, _dirtyRooms.Count, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes.
        }
    }

    private int FlushCore()
    {
        var upTo = Interlocked.Read(ref _changeSequence);
        if (_dirtyRooms.IsEmpty)
        {
            MarkCommitted(upTo);
            return 0;
        }
        var started = Interlocked.Exchange(ref _pendingSince, 0);
        var written = 0;
        foreach (var roomId in _dirtyRooms.Keys)
        {
            _dirtyRooms.TryRemove(roomId, out _);
            if (!_rooms.TryGetValue(roomId, out var room) || !_tracking.TryGetValue(roomId, out var tracking)) continue;
            var write = Capture(room, tracking);
            try
            {
                Write(write);
                written++;
                _lastFailure = null;
            }
            catch (Exception ex)
            {
                _lastFailure = $"Writing room '{roomId}' failed: {ex.Message}";
                Requeue(roomId, tracking, write);
                throw;
            }
        }
        if (started != 0) Log.Flushed(_logger, written, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        MarkCommitted(upTo);
        return written;
    }

    private void MarkCommitted(long upTo)
    {
        long seen;
        while ((seen = Interlocked.Read(ref _committedSequence)) < upTo && Interlocked.CompareExchange(ref _committedSequence, upTo, seen) != seen)
        {
        }
    }

    private RoomWrite Capture(Room room, RoomTracking tracking)
    {
        lock (room.Gate)
        {
            HashSet<string> dirty;
            bool all, frameDirty;
            lock (tracking)
            {
                dirty = tracking.DirtyStrokes;
                all = tracking.AllStrokes;
                frameDirty = tracking.FrameDirty;
                tracking.DirtyStrokes = new HashSet<string>(StringComparer.Ordinal);
                tracking.AllStrokes = false;
                tracking.FrameDirty = false;
            }
            var entity = new RoomEntity
            {
                Id = room.Id,
                Prompt = room.Prompt,
                SettingsJson = StoredJson.Serialize(StoredSettings.From(room.Settings)),
                Revision = room.Revision,
                ParticipantCounter = room.ParticipantCounter,
                ParticipantsJson = StoredJson.Serialize(room.Participants.Values.Select(p => new StoredParticipant(p.Id, p.DisplayName, p.Colour)).ToList()),
                UpdatedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
                AccessJson = StoredJson.Serialize(new StoredAccess(room.WatchId, room.HostId, room.Locked, [.. room.Watchers], [.. room.RemovedIds],
                    new Dictionary<string, string>(room.RejoinTokens, StringComparer.Ordinal))),
            };
            var strokes = new List<StrokeEntity>();
            IEnumerable<Stroke> source = all ? room.Strokes : dirty.Select(id => room.StrokesById.GetValueOrDefault(id)).OfType<Stroke>();
            foreach (var stroke in source)
            {
                long seq;
                lock (tracking)
                {
                    if (!tracking.Seq.TryGetValue(stroke.Id, out seq)) tracking.Seq[stroke.Id] = seq = ++tracking.NextSeq;
                }
                strokes.Add(new StrokeEntity
                {
                    RoomId = room.Id,
                    Id = stroke.Id,
                    Seq = seq,
                    OwnerId = stroke.OwnerId,
                    Colour = stroke.Colour,
                    Width = stroke.Width,
                    Points = PackedPoints.Pack(stroke.Points, 0),
                    Ended = stroke.Ended,
                    Visible = stroke.Visible,
                });
            }
            HashSet<string>? keep = all ? [.. room.StrokesById.Keys] : null;
            if (keep is not null)
            {
                lock (tracking)
                {
                    foreach (var gone in tracking.Seq.Keys.Where(k => !keep.Contains(k)).ToList()) tracking.Seq.Remove(gone);
                }
            }
            // The newest frame, or none when it is larger than the store keeps (an older stored frame is then removed).
            var frame = frameDirty && room.LastFrame is { } last && last.Image.Length <= _options.MaxImageBytes
                ? new RoomFrameEntity { RoomId = room.Id, Revision = last.Revision, Json = StoredJson.Serialize(StoredFrame.From(last)), Image = last.Image }
                : null;
            return new RoomWrite(entity, strokes, keep, dirty, all, frameDirty, frame);
        }
    }

    private void Write(RoomWrite write)
    {
        using var context = _database.CreateContext();
        using var transaction = context.Database.BeginTransaction();
        var roomId = write.Room.Id;
        var existingRoom = context.Rooms.Find(roomId);
        if (existingRoom is null) context.Rooms.Add(write.Room);
        else context.Entry(existingRoom).CurrentValues.SetValues(write.Room);

        var ids = write.Strokes.Select(s => s.Id).ToList();
        var existing = write.KeepIds is not null
            ? context.Strokes.Where(s => s.RoomId == roomId).ToDictionary(s => s.Id, StringComparer.Ordinal)
            : context.Strokes.Where(s => s.RoomId == roomId && ids.Contains(s.Id)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var stroke in write.Strokes)
        {
            if (existing.TryGetValue(stroke.Id, out var row)) context.Entry(row).CurrentValues.SetValues(stroke);
            else context.Strokes.Add(stroke);
        }
        if (write.KeepIds is not null)
        {
            foreach (var row in existing.Values.Where(r => !write.KeepIds.Contains(r.Id))) context.Strokes.Remove(row);
        }
        if (write.FrameDirty)
        {
            var stored = context.RoomFrames.Find(roomId);
            if (write.Frame is null)
            {
                if (stored is not null) context.RoomFrames.Remove(stored);
            }
            else if (stored is null) context.RoomFrames.Add(write.Frame);
            else context.Entry(stored).CurrentValues.SetValues(write.Frame);
        }
        context.SaveChanges();
        transaction.Commit();
    }

    private void Requeue(string roomId, RoomTracking tracking, RoomWrite write)
    {
        lock (tracking)
        {
            tracking.DirtyStrokes.UnionWith(write.DirtyStrokes);
            tracking.AllStrokes |= write.AllStrokes;
            tracking.FrameDirty |= write.FrameDirty;
        }
        if (_dirtyRooms.TryAdd(roomId, 0)) Interlocked.CompareExchange(ref _pendingSince, Stopwatch.GetTimestamp(), 0);
    }

    private (int Rooms, int Strokes, int Dropped) Restore()
    {
        using var context = _database.CreateContext();
        var cutoff = _options.RoomRetention > TimeSpan.Zero ? (_time.GetUtcNow() - _options.RoomRetention).ToUnixTimeMilliseconds() : long.MinValue;
        var expired = context.Rooms.Where(r => r.UpdatedAtMs < cutoff).Select(r => r.Id).ToList();
        var dropped = 0;
        if (expired.Count > 0)
        {
            dropped += context.Strokes.Where(s => expired.Contains(s.RoomId)).ExecuteDelete();
            context.RoomFrames.Where(f => expired.Contains(f.RoomId)).ExecuteDelete();
            context.Rooms.Where(r => expired.Contains(r.Id)).ExecuteDelete();
        }
        // Nothing can bring hidden strokes back after a restart (histories are not kept): drop them for good.
        dropped += context.Strokes.Where(s => !s.Visible).ExecuteDelete();

        var strokeCount = 0;
        foreach (var entity in context.Rooms.AsNoTracking().ToList())
        {
            FrameSettings settings;
            try
            {
                settings = StoredJson.Deserialize<StoredSettings>(entity.SettingsJson).ToSettings();
            }
            catch (JsonException ex)
            {
                Log.RoomUnreadable(_logger, entity.Id, ex.Message);
                continue;
            }
            var room = new Room(entity.Id, entity.Prompt, settings)
            {
                // The first change after the restart gets a revision no client has seen.
                Revision = entity.Revision + 1,
                RevisionTimestamp = Stopwatch.GetTimestamp(),
                ParticipantCounter = entity.ParticipantCounter,
                // An empty restored room gets its whole idle time from now before it is removed.
                LastActivity = _time.GetUtcNow(),
            };
            var leftAt = DateTimeOffset.FromUnixTimeMilliseconds(entity.UpdatedAtMs);
            foreach (var p in StoredJson.Deserialize<List<StoredParticipant>>(entity.ParticipantsJson))
                room.Participants[p.Id] = new LeftParticipant(p.Id, p.DisplayName, p.Colour, leftAt);
            if (!RestoreAccess(room, entity))
            {
                // A row from before rooms had hosts: a new watch-only address, written with the room's next write.
                room.WatchId = RoomEditor.NewRoomId();
                _dirtyRooms.TryAdd(room.Id, 0);
            }

            var tracking = new RoomTracking();
            foreach (var s in context.Strokes.AsNoTracking().Where(s => s.RoomId == entity.Id).OrderBy(s => s.Seq))
            {
                // Strokes still being drawn at the crash can never be ended by their owner: they end now.
                var stroke = new Stroke(s.Id, s.OwnerId, s.Colour, s.Width) { Ended = true };
                stroke.Points.AddRange(PackedPoints.Unpack(s.Points));
                room.Strokes.Add(stroke);
                room.StrokesById[s.Id] = stroke;
                tracking.Seq[s.Id] = s.Seq;
                tracking.NextSeq = Math.Max(tracking.NextSeq, s.Seq);
                strokeCount++;
            }
            room.LastFrame = RestoreFrame(context, entity, room.Revision);
            _rooms[room.Id] = room;
            _tracking[room.Id] = tracking;
        }
        return (_rooms.Count, strokeCount, dropped);
    }

    /// <summary>Restores who may do what; false when the row holds none (or none readable).</summary>
    private bool RestoreAccess(Room room, RoomEntity entity)
    {
        if (entity.AccessJson is null) return false;
        StoredAccess access;
        try
        {
            access = StoredJson.Deserialize<StoredAccess>(entity.AccessJson);
        }
        catch (JsonException ex)
        {
            Log.RoomUnreadable(_logger, entity.Id, $"its access record is unreadable; it gets a new watch-only address and no host ({ex.Message})");
            return false;
        }
        if (!RoomEditor.IsRoomId(access.WatchId)) return false;
        room.WatchId = access.WatchId;
        room.HostId = access.HostId;
        room.Locked = access.Locked;
        room.Watchers.UnionWith(access.Watchers ?? []);
        room.RemovedIds.UnionWith(access.Removed ?? []);
        foreach (var (id, token) in access.RejoinTokens ?? new Dictionary<string, string>())
            if (room.Participants.ContainsKey(id)) room.RejoinTokens[id] = token;
        return true;
    }

    /// <summary>
    /// The room's stored frame, or null. A frame that was up to date at the last write is re-labelled with the restored
    /// revision (the revision bump at restore changes nothing visible), so joiners see it as current, not as rendering.
    /// </summary>
    private FrameMessage? RestoreFrame(SanaSprintDbContext context, RoomEntity room, long restoredRevision)
    {
        var stored = context.RoomFrames.AsNoTracking().FirstOrDefault(f => f.RoomId == room.Id);
        if (stored is null) return null;
        try
        {
            return StoredJson.Deserialize<StoredFrame>(stored.Json).ToFrame(stored.Image, stored.Revision == room.Revision ? restoredRevision : stored.Revision);
        }
        catch (JsonException ex)
        {
            Log.RoomUnreadable(_logger, room.Id, $"its last frame is unreadable and was skipped ({ex.Message})");
            return null;
        }
    }

    private sealed class RoomTracking
    {
        public Dictionary<string, long> Seq { get; } = new(StringComparer.Ordinal);
        public long NextSeq { get; set; }
        public HashSet<string> DirtyStrokes { get; set; } = new(StringComparer.Ordinal);
        public bool AllStrokes { get; set; }
        public bool FrameDirty { get; set; }
    }

    private sealed record RoomWrite(RoomEntity Room, List<StrokeEntity> Strokes, HashSet<string>? KeepIds, HashSet<string> DirtyStrokes, bool AllStrokes,
        bool FrameDirty, RoomFrameEntity? Frame);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Restored {RoomCount} rooms with {StrokeCount} strokes ({DroppedCount} expired or hidden rows dropped) in {ElapsedMs:F0} ms", EventName = "RoomsRestored")]
        public static partial void Restored(ILogger logger, int roomCount, int strokeCount, int droppedCount, double elapsedMs);

        [LoggerMessage(2, LogLevel.Debug, "Wrote {RoomCount} rooms; the oldest change waited {WaitedMs:F0} ms", EventName = "RoomsFlushed")]
        public static partial void Flushed(ILogger logger, int roomCount, double waitedMs);

        [LoggerMessage(3, LogLevel.Error, "Writing rooms failed; {PendingCount} rooms stay queued and are retried", EventName = "RoomFlushFailed")]
        public static partial void FlushFailed(ILogger logger, int pendingCount, Exception exception);

        [LoggerMessage(4, LogLevel.Warning, "Room '{RoomId}' in the database is unreadable and was skipped: {Reason}", EventName = "RoomUnreadable")]
        public static partial void RoomUnreadable(ILogger logger, string roomId, string reason);

        [LoggerMessage(5, LogLevel.Debug, "Removed room '{RoomId}' from the database", EventName = "RoomRemoved")]
        public static partial void Removed(ILogger logger, string roomId);
    }
}
