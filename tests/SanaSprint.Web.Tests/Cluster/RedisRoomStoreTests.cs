using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Redis;
using SanaSprint.Web.Persistence;
using SanaSprint.Web.Rooms;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>The room store contract against a real <c>redis-server</c>, plus what only Redis can show: a SIGKILL of the server.</summary>
[RequiresRedis]
public sealed class RedisRoomStoreTests(RedisFixture redis, ITestOutputHelper output) : ClusterRoomStoreContract, IClassFixture<RedisFixture>
{
    private readonly string _clusterId = "test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<IConnectionMultiplexer> _connections = [];
    private readonly List<RedisServer> _servers = [];

    /// <inheritdoc />
    protected override IClusterRoomStore CreateStore() => Store(redis.Server);

    /// <inheritdoc />
    protected override async Task WaitForWriteBehindAsync(IClusterRoomStore store)
    {
        // The flush runs on the store's loop once the fake clock passed the interval; wait (bounded) until it is done.
        var redisStore = (RedisRoomStore)store;
        for (var i = 0; i < 1000 && redisStore.PendingRooms > 0; i++) await Task.Delay(10);
        Assert.Equal(0, redisStore.PendingRooms);
    }

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var connection in _connections) await connection.DisposeAsync();
        foreach (var server in _servers) server.Dispose();
    }

    private RedisRoomStore Store(RedisServer server, string? extraConfiguration = null)
    {
        var connection = ConnectionMultiplexer.Connect(server.Configuration + extraConfiguration);
        _connections.Add(connection);
        var store = new RedisRoomStore(connection, Options.Create(new DeploymentOptions { ClusterId = _clusterId }),
            Options.Create(new PersistenceOptions { FlushInterval = FlushInterval }), Options.Create(new RoomOptions()),
            NullLogger<RedisRoomStore>.Instance, Time);
        store.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return store;
    }

    [RedisFact]
    public async Task AcknowledgedChangesSurviveASigkillOfRedisWithAnAppendOnlyFile()
    {
        var server = RedisServer.Start(appendOnly: true);
        _servers.Add(server);
        var a = Store(server);
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        Edit(a, room, r => Editor.BeginStroke(r, ann, "s-1", "#112233", 4f));
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(1, 2, 0.5f)]));
        Edit(a, room, r => Editor.EndStroke(r, ann, "s-1"));
        await a.CommitAsync(room.Id); // acknowledged

        server.Kill();
        server.Restart();

        var taken = await Store(server).ActivateAsync(room.Id);
        Assert.NotNull(taken);
        Assert.Equal(Describe(room), Describe(taken));
        Assert.Equal(room.WatchId, taken.WatchId);
    }

    [RedisFact]
    public async Task ACommitWhileRedisIsDownFailsClearlyAndTheChangeIsWrittenOnceRedisIsBack()
    {
        var server = RedisServer.Start(appendOnly: true);
        _servers.Add(server);
        var a = Store(server, ",asyncTimeout=500,syncTimeout=500");
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        await a.CommitAsync(room.Id);

        server.Kill();
        Edit(a, room, r => Editor.BeginStroke(r, ann, "s-1", "#112233", 4f));
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(1, 2, 0.5f)]));
        Edit(a, room, r => Editor.EndStroke(r, ann, "s-1"));
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(async () => await a.CommitAsync(room.Id));
        Assert.Contains(room.Id, failed.Message, StringComparison.Ordinal);
        Assert.Equal(failed.Message, a.LastFailure);
        Assert.Equal(1, a.PendingRooms); // kept queued

        server.Restart();
        await RetryAsync(() => a.CommitAsync(room.Id).AsTask());

        Assert.Null(a.LastFailure);
        var taken = (await Store(server).ActivateAsync(room.Id))!;
        Assert.Equal(Describe(room), Describe(taken));
    }

    /// <summary>Runs <paramref name="action"/> until it stops failing because the connection is still coming back (bounded).</summary>
    private static async Task RetryAsync(Func<Task> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (InvalidOperationException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }

    [RedisFact]
    public async Task ARoomTakenOverAfterACrashJumpsItsRevisionAndAHandedOverOneDoesNot()
    {
        var (a, b, c) = (Store(redis.Server), Store(redis.Server), Store(redis.Server));
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        Edit(a, room, r => Editor.SetPrompt(r, ann, "x"));
        await a.CommitAsync(room.Id);
        Edit(a, room, r => RoomEditor.SetLastFrame(r, Frame(r.Revision, [5])));
        await a.DeactivateAsync(room.Id);

        var handedOver = (await b.ActivateAsync(room.Id))!;
        Assert.Equal(room.Revision, handedOver.Revision);

        // b dies without handing the room over: clients may have seen revisions it never wrote.
        var taken = (await c.ActivateAsync(room.Id))!;
        Assert.Equal(room.Revision + RedisRoomStore.RevisionGapAfterCrash, taken.Revision);
        Assert.Equal(taken.Revision, taken.LastFrame!.Revision); // the newest frame is still current
        Assert.Equal(3L, c.EpochOf(room.Id));
    }

    [RedisFact]
    public async Task AFencedWriteBehindFlushRaisesRoomFenced()
    {
        var (a, b) = (Store(redis.Server), Store(redis.Server));
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        await a.CommitAsync(room.Id);
        var fenced = new List<string>();
        a.RoomFenced += fenced.Add;
        await b.ActivateAsync(room.Id);

        Edit(a, room, r => Editor.SetPrompt(r, ann, "stale"));
        await a.FlushAsync();

        Assert.Equal([room.Id], fenced);
        Assert.Equal(0, a.PendingRooms);
    }

    [RedisFact]
    public async Task AHandedOverRoomExpiresAfterTheRetentionAndActivationKeepsItAgain()
    {
        var (a, b) = (Store(redis.Server), Store(redis.Server));
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        Edit(a, room, r => Editor.BeginStroke(r, ann, "s-1", "#112233", 4f));
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(1, 2, 0.5f)]));
        var db = _connections[0].GetDatabase();
        var keys = new RedisKey[] { $"{_clusterId}:room:{{{room.Id}}}", $"{_clusterId}:room:{{{room.Id}}}:strokes", $"{_clusterId}:room:{{{room.Id}}}:pts:s-1", $"{_clusterId}:watch:{room.WatchId}" };
        await a.CommitAsync(room.Id);
        Assert.All(keys, k => Assert.Null(db.KeyTimeToLive(k)));

        await a.DeactivateAsync(room.Id);

        var retention = new PersistenceOptions().RoomRetention;
        Assert.All(keys, k => Assert.InRange(db.KeyTimeToLive(k) ?? TimeSpan.Zero, retention - TimeSpan.FromMinutes(5), retention));
        Assert.Equal(1, await b.CountAllAsync());
        Time.Advance(retention + TimeSpan.FromSeconds(1));
        Assert.Equal(0, await b.CountAllAsync()); // past its retention the room no longer counts

        Assert.NotNull(await b.ActivateAsync(room.Id)); // (Redis runs on the real clock: its keys are still there)
        Assert.All(keys, k => Assert.Null(db.KeyTimeToLive(k)));
        Assert.Equal(1, await b.CountAllAsync());
    }

    [RedisFact]
    public async Task EndStrokeCommitLatency()
    {
        // A measurement, not a bound: the p50/p95 of the commit that acknowledges an ended stroke, printed for docs/benchmarks.md.
        var a = Store(redis.Server);
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        await a.CommitAsync(room.Id);
        const int Strokes = 300;
        var samples = new List<double>(Strokes);
        for (var i = 0; i < Strokes; i++)
        {
            var id = $"s-{i}";
            Edit(a, room, r => Editor.BeginStroke(r, ann, id, "#112233", 4f));
            for (var j = 0; j < 4; j++)
                Edit(a, room, r => Editor.AppendPoints(r, ann, id, [.. Enumerable.Range(0, 8).Select(k => new CanvasPoint(i % 500, j * 8 + k, 0.5f))]));
            Edit(a, room, r => Editor.EndStroke(r, ann, id));
            var started = Stopwatch.GetTimestamp();
            await a.CommitAsync(room.Id);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        samples.Sort();
        output.WriteLine($"EndStroke commit against local redis-server ({Strokes} strokes of 32 points): p50 {samples[Strokes / 2]:F3} ms, p95 {samples[Strokes * 95 / 100]:F3} ms");

        await a.DeactivateAsync(room.Id);
        var b = Store(redis.Server);
        var activation = Stopwatch.GetTimestamp();
        var stored = (await b.ActivateAsync(room.Id))!;
        output.WriteLine($"Activating that room ({Strokes} strokes, {Strokes * 32} points) on another silo: {Stopwatch.GetElapsedTime(activation).TotalMilliseconds:F1} ms");
        Assert.Equal(Strokes, stored.Strokes.Count);
        Assert.All(stored.Strokes, s => Assert.Equal(32, s.Points.Count));
    }
}
