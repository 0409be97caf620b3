using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Observability;
using SanaSprint.Web.Persistence;
using SanaSprint.Web.Rooms;
using StackExchange.Redis;

namespace SanaSprint.Web.Cluster.Redis;

/// <summary>
/// The <see cref="IClusterRoomStore"/> over Redis: every web silo keeps the rooms active on it in memory (its working set)
/// and writes their changes to Redis, so another silo can take a room over with nothing acknowledged lost.
/// </summary>
/// <remarks>
/// <para>Keys (all prefixed by <see cref="DeploymentOptions.ClusterId"/>; <c>{id}</c> is a Redis Cluster hash tag, so a room's
/// keys share one slot and each write is one atomic script): <c>room:{id}</c> (hash: fencing epoch, prompt, settings,
/// revision, participants with presence, access with rejoin tokens, undo histories), <c>room:{id}:strokes</c> (hash: each
/// stroke's header and z-order), <c>room:{id}:pts:STROKE</c> (each stroke's points, packed; an append writes only the new
/// points), <c>room:{id}:frame</c> (the newest frame and its image, up to <see cref="PersistenceOptions.MaxImageBytes"/>),
/// <c>watch:WATCHID</c> (the room a watch-only address names) and <c>rooms</c> (every room id, scored by when it expires).</para>
/// <para>Writes: <see cref="IRoomStore.OnChanged"/> records what changed; <see cref="CommitAsync"/> writes the room's
/// recorded changes and returns once Redis acknowledged them; everything else (point appends, frames) is written behind at
/// most <see cref="PersistenceOptions.FlushInterval"/> later by the loop this hosted service runs. A room's writes go one at
/// a time in order; a commit that finds a write in progress waits for it and then writes what is left (group commit).</para>
/// <para>Fencing: <see cref="ActivateAsync"/> increments the room's epoch and keeps it; every write checks in the same
/// script that the stored epoch is still this activation's, and is refused otherwise: <see cref="CommitAsync"/> throws
/// <see cref="RoomFencedException"/>, a written-behind flush logs it and raises <see cref="RoomFenced"/>, and nothing of
/// the fenced activation is written after that.</para>
/// <para>Revisions: clients may have seen revisions of changes that were still waiting to be written when a silo died.
/// <see cref="DeactivateAsync"/> marks a room handed over cleanly; a room activated after an unclean end continues at
/// its stored revision plus <see cref="RevisionGapAfterCrash"/>, so no revision number is reused for other content.</para>
/// <para>Retention: a room handed over by <see cref="DeactivateAsync"/> and not activated again within
/// <see cref="PersistenceOptions.RoomRetention"/> expires from Redis with everything of it (zero keeps rooms for ever);
/// activating it again keeps it. A room whose silo died keeps no expiry until a silo activates and hands it over again.</para>
/// <para>Metrics (meter <see cref="SanaSprintMetrics.MeterName"/>): <c>sanasprint_store_write_duration_milliseconds</c> by
/// <c>kind</c> (commit, flush, deactivate, activate), and <c>sanasprint_store_fenced_total</c> (writes refused because a newer
/// activation exists).</para>
/// <para>The holder of a room changes it under <see cref="Room.Gate"/> (as <see cref="LocalRoomDirectory"/> does): a
/// written-behind flush copies what it writes under that lock.</para>
/// </remarks>
public sealed partial class RedisRoomStore : IClusterRoomStore, IHostedService, IAsyncDisposable, IDisposable
{
    /// <summary>How far the revision jumps when a room is activated after its previous activation ended without
    /// <see cref="DeactivateAsync"/> (a crash or a fenced duplicate): more than a flush interval's worth of changes.</summary>
    public const long RevisionGapAfterCrash = 1000;

    private const string Body = """
        local function hset_chunks(key, i, n)
          local k = 0
          while k < n do
            local m = math.min(n - k, 200)
            local args = {}
            for j = 1, m * 2 do args[j] = ARGV[i + j - 1] end
            redis.call('HSET', key, unpack(args))
            i = i + m * 2
            k = k + m
          end
          return i
        end
        local function body(i)
          local nf = tonumber(ARGV[i]); i = hset_chunks(KEYS[1], i + 1, nf)
          local ns = tonumber(ARGV[i]); i = hset_chunks(KEYS[2], i + 1, ns)
          local np = tonumber(ARGV[i]); i = i + 1
          for k = 1, np do
            redis.call('SETRANGE', KEYS[3 + k], tonumber(ARGV[i]), ARGV[i + 1]); i = i + 2
          end
          local nd = tonumber(ARGV[i]); i = i + 1
          for k = 1, nd do
            redis.call('HDEL', KEYS[2], ARGV[i]); redis.call('DEL', KEYS[3 + np + k]); i = i + 1
          end
          local fop = ARGV[i]
          if fop == 'set' then redis.call('HSET', KEYS[3], 'json', ARGV[i + 1], 'image', ARGV[i + 2])
          elseif fop == 'del' then redis.call('DEL', KEYS[3]) end
        end

        """;

    /// <summary>Writes an active room's changes when the stored epoch is still ARGV[1]: {0, epoch}, {1, newer epoch} (fenced), {2, 0} (room gone).</summary>
    private const string WriteScript = Body + """
        local cur = redis.call('HGET', KEYS[1], 'epoch')
        if not cur then return {2, 0} end
        if cur ~= ARGV[1] then return {1, tonumber(cur)} end
        body(2)
        return {0, tonumber(cur)}
        """;

    /// <summary>Stores a new room with epoch ARGV[1] unless the id is taken: {0, epoch} or {3, 0}.</summary>
    private const string CreateScript = Body + """
        if redis.call('EXISTS', KEYS[1]) == 1 then return {3, 0} end
        redis.call('HSET', KEYS[1], 'epoch', ARGV[1])
        body(2)
        return {0, tonumber(ARGV[1])}
        """;

    /// <summary>Takes the next epoch and reads the whole room: {epoch, clean, room, strokes, points, frame}, or nil.</summary>
    private const string ActivateScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
        local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
        local clean = redis.call('HGET', KEYS[1], 'clean') or '0'
        redis.call('HSET', KEYS[1], 'clean', '0')
        local room = redis.call('HGETALL', KEYS[1])
        local strokes = redis.call('HGETALL', KEYS[2])
        local points = {}
        for j = 1, #strokes, 2 do
          local key = ARGV[1] .. strokes[j]
          points[#points + 1] = redis.call('GET', key) or ''
          redis.call('PERSIST', key)
        end
        redis.call('PERSIST', KEYS[1]); redis.call('PERSIST', KEYS[2]); redis.call('PERSIST', KEYS[3])
        local frame = redis.call('HGETALL', KEYS[3])
        return {epoch, clean, room, strokes, points, frame}
        """;

    /// <summary>Sets every key of the room to expire in ARGV[3] ms while the stored epoch is ARGV[1] (ARGV[2]: the points key prefix): 1, else 0.</summary>
    private const string ExpireScript = """
        if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 0 end
        local ids = redis.call('HKEYS', KEYS[2])
        for j = 1, #ids do redis.call('PEXPIRE', ARGV[2] .. ids[j], ARGV[3]) end
        redis.call('PEXPIRE', KEYS[1], ARGV[3]); redis.call('PEXPIRE', KEYS[2], ARGV[3]); redis.call('PEXPIRE', KEYS[3], ARGV[3])
        return 1
        """;

    /// <summary>Deletes a room's keys when ARGV[1] is empty or the stored epoch: {0, watch id}, {1, epoch} (fenced), {2, ''} (none).</summary>
    private const string RemoveScript = """
        local cur = redis.call('HGET', KEYS[1], 'epoch')
        if not cur then return {2, ''} end
        if ARGV[1] ~= '' and cur ~= ARGV[1] then return {1, cur} end
        local watch = redis.call('HGET', KEYS[1], 'watch') or ''
        local ids = redis.call('HKEYS', KEYS[2])
        for j = 1, #ids do redis.call('DEL', ARGV[2] .. ids[j]) end
        redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
        return {0, watch}
        """;

    private static readonly Meter StaticMeter = new(SanaSprintMetrics.MeterName);

    private static readonly Histogram<double> WriteDuration = StaticMeter.CreateHistogram<double>(
        "sanasprint.store.write.duration", "ms", "Time a room write to Redis took until Redis acknowledged it, by kind (commit, flush, deactivate, activate).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000] });

    private static readonly Counter<long> FencedWrites = StaticMeter.CreateCounter<long>(
        "sanasprint.store.fenced", "{write}", "Room writes refused because a newer activation of the room exists.");

    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly PersistenceOptions _options;
    private readonly int _maxUndoDepth;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisRoomStore> _logger;
    private readonly ConcurrentDictionary<string, ActiveRoom> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ActiveRoom> _dirty = new(StringComparer.Ordinal);
    private CancellationTokenSource? _stopping;
    private Task? _loop;
    private volatile string? _lastFailure;

    /// <summary>Creates the store (nothing is read until a room is activated).</summary>
    /// <param name="redis">The process's Redis connection.</param>
    /// <param name="deployment">The cluster id (the prefix of every key).</param>
    /// <param name="persistence">Flush interval and the largest frame kept.</param>
    /// <param name="rooms">The undo depth histories are rebuilt with.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="time">Clock for the write-behind loop and timestamps (optional).</param>
    public RedisRoomStore(IConnectionMultiplexer redis, IOptions<DeploymentOptions> deployment, IOptions<PersistenceOptions> persistence,
        IOptions<RoomOptions> rooms, ILogger<RedisRoomStore> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(persistence);
        ArgumentNullException.ThrowIfNull(rooms);
        _redis = redis;
        _prefix = deployment.Value.ClusterId + ":";
        _options = persistence.Value;
        _maxUndoDepth = rooms.Value.MaxUndoDepth;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Raised with the room id when a written-behind flush finds the room's activation fenced (its changes are dropped).</summary>
    public event Action<string>? RoomFenced;

    /// <summary>Why the last write failed, or null when the last write succeeded.</summary>
    public string? LastFailure => _lastFailure;

    /// <summary>How many active rooms have changes not yet acknowledged by Redis.</summary>
    public int PendingRooms => _active.Values.Count(a => a.Pending);

    /// <summary>The fencing epoch this silo holds for an active room, or null.</summary>
    /// <param name="roomId">The room.</param>
    public long? EpochOf(string roomId) => _active.TryGetValue(roomId, out var a) ? a.Epoch : null;

    /// <inheritdoc />
    public int Count => _active.Count;

    /// <inheritdoc />
    public Room? Find(string roomId) => _active.TryGetValue(roomId, out var a) ? a.Room : null;

    /// <inheritdoc />
    public IReadOnlyCollection<Room> All() => [.. _active.Values.Select(a => a.Room)];

    /// <inheritdoc />
    /// <remarks>Stores the room in Redis before it returns (a blocking call); prefer <see cref="CreateAsync"/>.</remarks>
    public bool TryAdd(Room room) => CreateAsync(room).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public async ValueTask<bool> CreateAsync(Room room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        var active = new ActiveRoom(room, 1);
        PendingWrite write;
        lock (room.Gate)
        {
            lock (active)
            {
                active.AllStrokes = active.HistoriesDirty = active.FrameDirty = true;
            }
            write = Capture(active, clean: false);
        }
        var db = _redis.GetDatabase();
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(CreateScript, [.. write.Keys], [1, .. write.Args]).WaitAsync(cancellationToken))!;
        if ((int)result[0] != 0) return false;
        var batch = db.CreateBatch();
        var watch = room.WatchId.Length > 0 ? batch.StringSetAsync(WatchKey(room.WatchId), room.Id) : Task.FromResult(true);
        var added = batch.SortedSetAddAsync(RoomsKey, room.Id, double.PositiveInfinity);
        batch.Execute();
        await Task.WhenAll(watch, added).WaitAsync(cancellationToken);
        active.Succeeded(write);
        _active[room.Id] = active;
        Log.Created(_logger, room.Id);
        return true;
    }

    /// <inheritdoc />
    public async ValueTask<Room?> ActivateAsync(string roomId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        var keys = RoomKeys(roomId);
        var started = Stopwatch.GetTimestamp();
        var raw = await _redis.GetDatabase().ScriptEvaluateAsync(ActivateScript, [keys.Room, keys.Strokes, keys.Frame], [keys.PointsPrefix])
            .WaitAsync(cancellationToken);
        WriteDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("kind", "activate"));
        if (raw.IsNull) return null;
        var parts = (RedisResult[])raw!;
        var epoch = (long)parts[0];
        var clean = (string?)parts[1] == "1";
        var active = Restore(roomId, epoch, clean, Pairs((RedisResult[])parts[2]!), (RedisResult[])parts[3]!, (RedisResult[])parts[4]!,
            Pairs((RedisResult[])parts[5]!));
        if (_active.TryGetValue(roomId, out var previous)) previous.Fence(epoch);
        _active[roomId] = active;
        await KeepAsync(active.Room, double.PositiveInfinity, cancellationToken);
        Log.Activated(_logger, roomId, epoch, active.Room.Strokes.Count, clean);
        return active.Room;
    }

    /// <inheritdoc />
    /// <remarks>A fenced activation is dropped without a write (a newer one holds the room).</remarks>
    public async ValueTask DeactivateAsync(string roomId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        if (!_active.TryGetValue(roomId, out var active)) return;
        try
        {
            if (!active.Fenced)
            {
                await active.WriteGate.WaitAsync(cancellationToken);
                try
                {
                    await WriteAsync(active, clean: true, "deactivate", cancellationToken);
                    if (_options.RoomRetention > TimeSpan.Zero) await ExpireAsync(active, cancellationToken);
                }
                finally
                {
                    active.WriteGate.Release();
                }
            }
        }
        catch (RoomFencedException ex)
        {
            Log.Fenced(_logger, roomId, ex.Message);
        }
        _active.TryRemove(new KeyValuePair<string, ActiveRoom>(roomId, active));
        _dirty.TryRemove(new KeyValuePair<string, ActiveRoom>(roomId, active));
    }

    /// <inheritdoc />
    public async ValueTask<string?> FindByWatchIdAsync(string watchId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watchId);
        var roomId = await _redis.GetDatabase().StringGetAsync(WatchKey(watchId)).WaitAsync(cancellationToken);
        return roomId.IsNullOrEmpty ? null : (string?)roomId;
    }

    /// <inheritdoc />
    /// <remarks>Rooms expired from Redis are dropped from the count (and from the index) here.</remarks>
    public async ValueTask<int> CountAllAsync(CancellationToken cancellationToken = default)
    {
        var db = _redis.GetDatabase();
        await db.SortedSetRemoveRangeByScoreAsync(RoomsKey, double.NegativeInfinity, _time.GetUtcNow().ToUnixTimeMilliseconds()).WaitAsync(cancellationToken);
        return (int)await db.SortedSetLengthAsync(RoomsKey).WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A room active here is removed only while this activation holds it (else <see cref="RoomFencedException"/>, and the
    /// room stays); a room not active here is removed whoever holds it.
    /// </remarks>
    public async ValueTask RemoveAsync(string roomId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        _active.TryRemove(roomId, out var active);
        if (active is not null)
        {
            _dirty.TryRemove(roomId, out _);
            active.Removed = true;
            await active.WriteGate.WaitAsync(cancellationToken);
        }
        try
        {
            var keys = RoomKeys(roomId);
            var db = _redis.GetDatabase();
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(RemoveScript, [keys.Room, keys.Strokes, keys.Frame],
                [active is null ? "" : active.Epoch.ToString(CultureInfo.InvariantCulture), keys.PointsPrefix]).WaitAsync(cancellationToken))!;
            switch ((int)result[0])
            {
                case 1:
                    active?.Fence((long)result[1]);
                    throw new RoomFencedException(roomId, active?.Epoch ?? 0, (long)result[1]);
                case 0:
                    var watch = (string?)result[1];
                    var batch = db.CreateBatch();
                    var unwatch = string.IsNullOrEmpty(watch) ? Task.FromResult(true) : batch.KeyDeleteAsync(WatchKey(watch));
                    var removed = batch.SortedSetRemoveAsync(RoomsKey, roomId);
                    batch.Execute();
                    await Task.WhenAll(unwatch, removed).WaitAsync(cancellationToken);
                    Log.Removed(_logger, roomId);
                    break;
            }
        }
        finally
        {
            active?.WriteGate.Release();
        }
    }

    /// <inheritdoc />
    public void OnChanged(Room room, RoomChange change)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(change);
        if (!_active.TryGetValue(room.Id, out var active) || active.Fenced || active.Removed || !ReferenceEquals(active.Room, room)) return;
        lock (active)
        {
            switch (change.Kind)
            {
                case RoomChangeKind.Created:
                    active.AllStrokes = active.HistoriesDirty = active.FrameDirty = true;
                    break;
                case RoomChangeKind.StrokeBegun when change.StrokeId is not null:
                    active.Seq[change.StrokeId] = ++active.NextSeq;
                    active.DirtyStrokes.Add(change.StrokeId);
                    active.PointStrokes.Add(change.StrokeId);
                    active.HistoriesDirty = true;
                    break;
                case RoomChangeKind.PointsAppended when change.StrokeId is not null:
                    active.PointStrokes.Add(change.StrokeId);
                    break;
                case RoomChangeKind.StrokeEnded when change.StrokeId is not null:
                    active.DirtyStrokes.Add(change.StrokeId);
                    active.PointStrokes.Add(change.StrokeId);
                    break;
                case RoomChangeKind.Visibility or RoomChangeKind.StrokesPurged or RoomChangeKind.Access:
                    active.AllStrokes |= change.Kind != RoomChangeKind.Access;
                    active.HistoriesDirty = true;
                    break;
                case RoomChangeKind.Frame:
                    active.FrameDirty = true;
                    break;
            }
            // Numbered after the flags are set: a write that reads this number captures the change.
            active.ChangeSeq++;
        }
        _dirty.TryAdd(room.Id, active);
    }

    /// <inheritdoc />
    /// <exception cref="RoomFencedException">A newer activation of the room exists; nothing was written.</exception>
    public async ValueTask CommitAsync(string roomId, CancellationToken cancellationToken = default)
    {
        if (!_active.TryGetValue(roomId, out var active)) return;
        active.ThrowIfFenced();
        var target = active.ChangeSeqNow;
        if (active.CommittedSeq >= target) return;
        await active.WriteGate.WaitAsync(cancellationToken);
        try
        {
            // The write that held the gate may have covered these changes (group commit).
            if (active.CommittedSeq >= target) return;
            active.ThrowIfFenced();
            await WriteAsync(active, clean: false, "commit", cancellationToken);
        }
        finally
        {
            active.WriteGate.Release();
        }
    }

    /// <summary>Writes every active room's recorded changes now (what the write-behind loop does each interval).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The number of rooms written.</returns>
    public async Task<int> FlushAsync(CancellationToken cancellationToken = default)
    {
        var written = 0;
        foreach (var (roomId, active) in _dirty)
        {
            _dirty.TryRemove(new KeyValuePair<string, ActiveRoom>(roomId, active));
            if (active.Fenced || active.Removed || !active.Pending) continue;
            await active.WriteGate.WaitAsync(cancellationToken);
            try
            {
                if (active.Fenced || active.Removed) continue;
                await WriteAsync(active, clean: false, "flush", cancellationToken);
                written++;
            }
            catch (RoomFencedException ex)
            {
                Log.Fenced(_logger, roomId, ex.Message);
                RoomFenced?.Invoke(roomId);
            }
            catch (InvalidOperationException ex)
            {
                // Kept queued (WriteAsync re-queued it); the next interval retries.
                Log.FlushFailed(_logger, roomId, ex);
            }
            finally
            {
                active.WriteGate.Release();
            }
        }
        return written;
    }

    /// <summary>Checks that Redis answers.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The round trip.</returns>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default) =>
        await _redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);

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
        if (_stopping is not null) await _stopping.CancelAsync();
        if (_loop is not null) await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        // Shutdown writes what is still queued.
        await FlushAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stopping is { IsCancellationRequested: false } stopping) await stopping.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stopping?.Dispose();
    }

    /// <summary>Sets everything of a handed-over room to expire after <see cref="PersistenceOptions.RoomRetention"/> (unless fenced).</summary>
    private async Task ExpireAsync(ActiveRoom active, CancellationToken cancellationToken)
    {
        var keys = RoomKeys(active.Room.Id);
        var retention = (long)_options.RoomRetention.TotalMilliseconds;
        var set = (int)await _redis.GetDatabase().ScriptEvaluateAsync(ExpireScript, [keys.Room, keys.Strokes, keys.Frame],
            [active.Epoch, keys.PointsPrefix, retention]).WaitAsync(cancellationToken);
        if (set == 1) await KeepAsync(active.Room, _time.GetUtcNow().ToUnixTimeMilliseconds() + retention, cancellationToken);
    }

    /// <summary>Indexes the room as expiring at <paramref name="expiresAtMs"/> (infinity: never) and gives its watch-only address the same expiry.</summary>
    private async Task KeepAsync(Room room, double expiresAtMs, CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var batch = db.CreateBatch();
        var indexed = batch.SortedSetAddAsync(RoomsKey, room.Id, expiresAtMs);
        var watch = room.WatchId.Length == 0 ? Task.FromResult(true)
            : double.IsPositiveInfinity(expiresAtMs) ? batch.KeyPersistAsync(WatchKey(room.WatchId))
            : batch.KeyExpireAsync(WatchKey(room.WatchId), _options.RoomRetention);
        batch.Execute();
        await Task.WhenAll(indexed, watch).WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Stops the write-behind loop without waiting for it (what is queued is written by <see cref="StopAsync"/>).</remarks>
    public void Dispose()
    {
        if (_stopping is { IsCancellationRequested: false } stopping) stopping.Cancel();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                if (_dirty.IsEmpty) continue;
                var started = Stopwatch.GetTimestamp();
                var written = await FlushAsync(stopping);
                if (written > 0) Log.Flushed(_logger, written, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes.
        }
    }

    /// <summary>Writes what the room recorded (under its write gate). Fenced: marks it and throws; failed: re-queues and throws.</summary>
    private async Task WriteAsync(ActiveRoom active, bool clean, string kind, CancellationToken cancellationToken)
    {
        var upTo = active.ChangeSeqNow;
        PendingWrite write;
        lock (active.Room.Gate)
        {
            write = Capture(active, clean);
        }
        RedisResult[] result;
        var started = Stopwatch.GetTimestamp();
        try
        {
            result = (RedisResult[])(await _redis.GetDatabase()
                .ScriptEvaluateAsync(WriteScript, [.. write.Keys], [active.Epoch, .. write.Args]).WaitAsync(cancellationToken))!;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            active.Requeue(write);
            _dirty.TryAdd(active.Room.Id, active);
            if (ex is OperationCanceledException) throw;
            _lastFailure = $"Writing room '{active.Room.Id}' to Redis failed: {ex.Message}";
            throw new InvalidOperationException(_lastFailure, ex);
        }
        WriteDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("kind", kind));
        if ((int)result[0] != 0) FencedWrites.Add(1);
        switch ((int)result[0])
        {
            case 0:
                active.Succeeded(write);
                active.MarkCommitted(upTo);
                _lastFailure = null;
                return;
            case 1:
                active.Fence((long)result[1]);
                throw new RoomFencedException(active.Room.Id, active.Epoch, (long)result[1]);
            default:
                active.Fence(0);
                throw new RoomFencedException($"Room {active.Room.Id} was removed from the store; this activation's writes are refused.");
        }
    }

    /// <summary>Copies what to write from the room (the caller holds <see cref="Room.Gate"/>) and clears the recorded flags.</summary>
    private PendingWrite Capture(ActiveRoom active, bool clean)
    {
        var room = active.Room;
        var now = _time.GetUtcNow();
        var keys = RoomKeys(room.Id);
        lock (active)
        {
            var write = new PendingWrite
            {
                DirtyStrokes = active.DirtyStrokes,
                PointStrokes = active.PointStrokes,
                AllStrokes = active.AllStrokes,
                HistoriesDirty = active.HistoriesDirty,
                FrameDirty = active.FrameDirty,
            };
            active.DirtyStrokes = new HashSet<string>(StringComparer.Ordinal);
            active.PointStrokes = new HashSet<string>(StringComparer.Ordinal);
            active.AllStrokes = active.HistoriesDirty = active.FrameDirty = false;

            List<RedisValue> fields =
            [
                "watch", room.WatchId,
                "prompt", room.Prompt,
                "settings", StoredJson.Serialize(StoredSettings.From(room.Settings)),
                "revision", room.Revision,
                "counter", room.ParticipantCounter,
                "presence", room.PresenceVersion,
                "clears", room.ClearCounter,
                "activity", room.LastActivity.ToUnixTimeMilliseconds(),
                "updated", now.ToUnixTimeMilliseconds(),
                "seq", active.NextSeq,
                "members", StoredJson.Serialize(RedisRoomRecords.Members(room)),
                "access", StoredJson.Serialize(new StoredAccess(room.WatchId, room.HostId, room.Locked, [.. room.Watchers], [.. room.RemovedIds],
                    new Dictionary<string, string>(room.RejoinTokens, StringComparer.Ordinal))),
                "clean", clean ? "1" : "0",
            ];
            if (write.HistoriesDirty) fields.AddRange(["histories", StoredJson.Serialize(RedisRoomRecords.Histories(room))]);

            // After an undo, redo or clear every stroke may have changed: only those whose header differs from the stored one are written.
            var headerIds = write.AllStrokes
                ? room.Strokes.Where(s => write.DirtyStrokes.Contains(s.Id) || active.PersistedHeaders.GetValueOrDefault(s.Id) != HeaderSignature(s)).Select(s => s.Id)
                : write.DirtyStrokes.Where(room.StrokesById.ContainsKey);
            List<RedisValue> headers = [];
            foreach (var id in headerIds)
            {
                var s = room.StrokesById[id];
                if (!active.Seq.TryGetValue(id, out var seq)) active.Seq[id] = seq = ++active.NextSeq;
                headers.Add(id);
                headers.Add(StoredJson.Serialize(new StoredStroke(seq, s.OwnerId, s.Colour, s.Width, s.Ended, s.Undone, [.. s.ClearedBy])));
                write.Headers[id] = HeaderSignature(s);
            }

            List<RedisKey> pointKeys = [];
            List<RedisValue> pointArgs = [];
            foreach (var id in write.PointStrokes.Union(write.DirtyStrokes))
            {
                if (!room.StrokesById.TryGetValue(id, out var s)) continue;
                var persisted = active.PersistedPoints.GetValueOrDefault(id);
                if (s.Points.Count <= persisted) continue;
                pointKeys.Add(keys.PointsPrefix + id);
                pointArgs.Add(persisted * PackedPoints.BytesPerPoint);
                pointArgs.Add(PackedPoints.Pack(s.Points, persisted));
                write.Points[id] = s.Points.Count;
            }

            List<RedisKey> deletedKeys = [];
            if (write.AllStrokes)
            {
                foreach (var gone in active.PersistedStrokes.Where(id => !room.StrokesById.ContainsKey(id)))
                {
                    write.Deleted.Add(gone);
                    deletedKeys.Add(keys.PointsPrefix + gone);
                }
                foreach (var gone in active.Seq.Keys.Where(id => !room.StrokesById.ContainsKey(id)).ToList()) active.Seq.Remove(gone);
            }

            List<RedisValue> args = [fields.Count / 2, .. fields, headers.Count / 2, .. headers, pointKeys.Count, .. pointArgs, write.Deleted.Count, .. write.Deleted.Select(d => (RedisValue)d)];
            if (!write.FrameDirty) args.Add("keep");
            else if (room.LastFrame is { } frame && frame.Image.Length <= _options.MaxImageBytes)
                args.AddRange(["set", StoredJson.Serialize(StoredFrame.From(frame)), frame.Image]);
            else args.Add("del");
            write.Keys = [keys.Room, keys.Strokes, keys.Frame, .. pointKeys, .. deletedKeys];
            write.Args = [.. args];
            return write;
        }
    }

    private ActiveRoom Restore(string roomId, long epoch, bool clean, Dictionary<string, RedisValue> hash, RedisResult[] strokes, RedisResult[] points,
        Dictionary<string, RedisValue> frame)
    {
        var now = _time.GetUtcNow();
        FrameSettings settings;
        try
        {
            settings = StoredJson.Deserialize<StoredSettings>((string)hash["settings"]!).ToSettings();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException)
        {
            throw new InvalidOperationException($"Room '{roomId}' in Redis is unreadable: its settings are missing or malformed ({ex.Message}).", ex);
        }
        var storedRevision = (long)hash.GetValueOrDefault("revision", 0);
        var room = new Room(roomId, (string?)hash.GetValueOrDefault("prompt", "") ?? "", settings)
        {
            Revision = clean ? storedRevision : storedRevision + RevisionGapAfterCrash,
            RevisionTimestamp = _time.GetTimestamp(),
            ParticipantCounter = (int)hash.GetValueOrDefault("counter", 0),
            PresenceVersion = (long)hash.GetValueOrDefault("presence", 0),
            ClearCounter = (long)hash.GetValueOrDefault("clears", 0),
            LastActivity = hash.TryGetValue("activity", out var activity) ? DateTimeOffset.FromUnixTimeMilliseconds((long)activity) : now,
            WatchId = (string?)hash.GetValueOrDefault("watch", "") ?? "",
        };
        if (hash.TryGetValue("members", out var members))
        {
            foreach (var m in StoredJson.Deserialize<List<StoredMember>>((string)members!))
                room.Participants[m.Id] = RedisRoomRecords.ToParticipant(m, roomId, now);
        }
        if (hash.TryGetValue("access", out var accessJson))
        {
            var access = StoredJson.Deserialize<StoredAccess>((string)accessJson!);
            room.HostId = access.HostId;
            room.Locked = access.Locked;
            room.Watchers.UnionWith(access.Watchers ?? []);
            room.RemovedIds.UnionWith(access.Removed ?? []);
            foreach (var (id, token) in access.RejoinTokens ?? new Dictionary<string, string>()) room.RejoinTokens[id] = token;
        }
        if (hash.TryGetValue("histories", out var histories))
        {
            foreach (var (id, history) in StoredJson.Deserialize<Dictionary<string, StoredHistory>>((string)histories!))
                room.Histories[id] = RedisRoomRecords.ToHistory(history, _maxUndoDepth);
        }
        // Every participant who may act again needs stacks (one admitted before its history was first written gets empty ones).
        foreach (var id in room.Participants.Keys) if (!room.Histories.ContainsKey(id)) room.Histories[id] = new UndoHistory(_maxUndoDepth);

        var active = new ActiveRoom(room, epoch) { NextSeq = (long)hash.GetValueOrDefault("seq", 0) };
        List<(long Seq, Stroke Stroke)> restored = [];
        for (var i = 0; i + 1 < strokes.Length; i += 2)
        {
            var id = (string)strokes[i]!;
            var header = StoredJson.Deserialize<StoredStroke>((string)strokes[i + 1]!);
            var stroke = new Stroke(id, header.OwnerId, header.Colour, header.Width) { Ended = header.Ended, Undone = header.Undone };
            foreach (var clear in header.ClearedBy ?? []) stroke.AddClear(clear);
            var packed = (byte[]?)points[i / 2] ?? [];
            stroke.Points.AddRange(PackedPoints.Unpack(packed));
            restored.Add((header.Seq, stroke));
            active.Seq[id] = header.Seq;
            active.NextSeq = Math.Max(active.NextSeq, header.Seq);
            active.PersistedStrokes.Add(id);
            active.PersistedHeaders[id] = HeaderSignature(stroke);
            active.PersistedPoints[id] = stroke.Points.Count;
        }
        foreach (var (_, stroke) in restored.OrderBy(r => r.Seq))
        {
            room.Strokes.Add(stroke);
            room.StrokesById[stroke.Id] = stroke;
        }
        if (frame.TryGetValue("json", out var frameJson) && frame.TryGetValue("image", out var image))
        {
            var stored = StoredJson.Deserialize<StoredFrame>((string)frameJson!);
            // A frame of the newest stored revision is still current after the revision jump of an unclean end.
            room.LastFrame = stored.ToFrame((byte[])image!, stored.Revision == storedRevision ? room.Revision : stored.Revision);
        }
        return active;
    }

    /// <summary>What of a stroke's header can change after it began: ended, undone, and the clears hiding it.</summary>
    private static string HeaderSignature(Stroke s) =>
        $"{(s.Ended ? 'e' : '-')}{(s.Undone ? 'u' : '-')}{string.Join(',', s.ClearedBy.Order())}";

    private static Dictionary<string, RedisValue> Pairs(RedisResult[] flat)
    {
        var pairs = new Dictionary<string, RedisValue>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2) pairs[(string)flat[i]!] = (RedisValue)flat[i + 1];
        return pairs;
    }

    private RedisKey RoomsKey => _prefix + "rooms";

    private RedisKey WatchKey(string watchId) => _prefix + "watch:" + watchId;

    private (RedisKey Room, RedisKey Strokes, RedisKey Frame, string PointsPrefix) RoomKeys(string roomId)
    {
        var room = $"{_prefix}room:{{{roomId}}}";
        return (room, room + ":strokes", room + ":frame", room + ":pts:");
    }

    /// <summary>One captured write: its script keys and arguments, and what to mark once Redis acknowledged it.</summary>
    private sealed class PendingWrite
    {
        public RedisKey[] Keys { get; set; } = [];
        public RedisValue[] Args { get; set; } = [];
        public required HashSet<string> DirtyStrokes { get; init; }
        public required HashSet<string> PointStrokes { get; init; }
        public bool AllStrokes { get; init; }
        public bool HistoriesDirty { get; init; }
        public bool FrameDirty { get; init; }
        public Dictionary<string, string> Headers { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, int> Points { get; } = new(StringComparer.Ordinal);
        public List<string> Deleted { get; } = [];
    }

    /// <summary>A room active on this silo: the room, the epoch it holds, and what is recorded but not yet written.</summary>
    private sealed class ActiveRoom(Room room, long epoch)
    {
        private long _changeSeq;
        private long _committedSeq;
        private long _fencedBy = -1;

        public Room Room { get; } = room;
        public long Epoch { get; } = epoch;
        public SemaphoreSlim WriteGate { get; } = new(1, 1);
        public HashSet<string> DirtyStrokes { get; set; } = new(StringComparer.Ordinal);
        public HashSet<string> PointStrokes { get; set; } = new(StringComparer.Ordinal);
        public bool AllStrokes { get; set; }
        public bool HistoriesDirty { get; set; }
        public bool FrameDirty { get; set; }
        public Dictionary<string, long> Seq { get; } = new(StringComparer.Ordinal);
        public long NextSeq { get; set; }
        public Dictionary<string, int> PersistedPoints { get; } = new(StringComparer.Ordinal);
        public HashSet<string> PersistedStrokes { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> PersistedHeaders { get; } = new(StringComparer.Ordinal);
        public volatile bool Removed;

        public long ChangeSeq
        {
            get => Interlocked.Read(ref _changeSeq);
            set => Interlocked.Exchange(ref _changeSeq, value);
        }

        public long ChangeSeqNow => Interlocked.Read(ref _changeSeq);
        public long CommittedSeq => Interlocked.Read(ref _committedSeq);
        public bool Pending => ChangeSeqNow > CommittedSeq && !Fenced && !Removed;
        public bool Fenced => Interlocked.Read(ref _fencedBy) >= 0;

        public void Fence(long by)
        {
            Interlocked.Exchange(ref _fencedBy, by);
            lock (this)
            {
                DirtyStrokes.Clear();
                PointStrokes.Clear();
                AllStrokes = HistoriesDirty = FrameDirty = false;
            }
        }

        public void ThrowIfFenced()
        {
            var by = Interlocked.Read(ref _fencedBy);
            if (by >= 0) throw new RoomFencedException(Room.Id, Epoch, by);
        }

        public void MarkCommitted(long upTo)
        {
            long seen;
            while ((seen = Interlocked.Read(ref _committedSeq)) < upTo && Interlocked.CompareExchange(ref _committedSeq, upTo, seen) != seen)
            {
            }
        }

        public void Succeeded(PendingWrite write)
        {
            lock (this)
            {
                foreach (var (id, count) in write.Points) PersistedPoints[id] = count;
                foreach (var (id, signature) in write.Headers) PersistedHeaders[id] = signature;
                PersistedStrokes.UnionWith(write.Headers.Keys);
                PersistedStrokes.UnionWith(write.Points.Keys);
                foreach (var gone in write.Deleted)
                {
                    PersistedStrokes.Remove(gone);
                    PersistedHeaders.Remove(gone);
                    PersistedPoints.Remove(gone);
                }
            }
        }

        public void Requeue(PendingWrite write)
        {
            lock (this)
            {
                DirtyStrokes.UnionWith(write.DirtyStrokes);
                PointStrokes.UnionWith(write.PointStrokes);
                AllStrokes |= write.AllStrokes;
                HistoriesDirty |= write.HistoriesDirty;
                FrameDirty |= write.FrameDirty;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Stored new room '{RoomId}' in Redis", EventName = "RedisRoomCreated")]
        public static partial void Created(ILogger logger, string roomId);

        [LoggerMessage(2, LogLevel.Information, "Activated room '{RoomId}' at epoch {Epoch} with {StrokeCount} strokes (clean hand-over: {Clean})", EventName = "RedisRoomActivated")]
        public static partial void Activated(ILogger logger, string roomId, long epoch, int strokeCount, bool clean);

        [LoggerMessage(3, LogLevel.Warning, "Room '{RoomId}' is fenced; its changes are dropped: {Reason}", EventName = "RedisRoomFenced")]
        public static partial void Fenced(ILogger logger, string roomId, string reason);

        [LoggerMessage(4, LogLevel.Error, "Writing room '{RoomId}' to Redis failed; its changes stay queued and are retried", EventName = "RedisRoomFlushFailed")]
        public static partial void FlushFailed(ILogger logger, string roomId, Exception exception);

        [LoggerMessage(5, LogLevel.Debug, "Wrote {RoomCount} rooms to Redis in {ElapsedMs:F1} ms", EventName = "RedisRoomsFlushed")]
        public static partial void Flushed(ILogger logger, int roomCount, double elapsedMs);

        [LoggerMessage(6, LogLevel.Debug, "Removed room '{RoomId}' from Redis", EventName = "RedisRoomRemoved")]
        public static partial void Removed(ILogger logger, string roomId);
    }
}
