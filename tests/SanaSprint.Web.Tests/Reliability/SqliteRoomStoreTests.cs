using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Reliability;

public sealed class SqliteRoomStoreTests : IDisposable
{
    private readonly TempFolder _data = new();

    [Fact]
    public async Task AnEndedStrokeReachesTheDiskWithoutAShutdown()
    {
        await using var harness = new StoreHarness(_data.Path, TimeSpan.FromMilliseconds(200));
        var room = harness.Rooms.CreateRoom();
        harness.Join(room, "c1");
        harness.Draw("c1", "s1");
        await LimitTests.WaitUntilAsync(() => Task.FromResult(harness.StoredStrokes(room, "s1") == 1));
    }

    [Fact]
    public async Task ARestartKeepsTheWatchAddressHostLockWatchersAndRemovalsAndTheHostRejoinsAsHost()
    {
        string roomId, watchId, hostId, removedId, watcherId;
        await using (var first = new StoreHarness(_data.Path))
        {
            roomId = first.Rooms.CreateRoom();
            hostId = first.Join(roomId, "h", "Host");
            removedId = first.Join(roomId, "d", "Drawer");
            watchId = first.Store.Find(roomId)!.WatchId;
            watcherId = first.Join(watchId, "w", "Watcher");
            first.Rooms.RemoveParticipant("h", removedId);
            first.Rooms.SetLocked("h", true);
        }

        await using var second = new StoreHarness(_data.Path);
        var restored = second.Store.Find(roomId)!;
        Assert.Equal(watchId, restored.WatchId);
        var access = RoomEditor.Access(restored);
        Assert.Equal((hostId, true), (access.HostId, access.Locked));
        Assert.Equal(ParticipantRoles.Watcher, access.RoleOf(watcherId));
        Assert.Equal(new RoomAddress(roomId, true), await second.Rooms.Directory.ResolveAsync(watchId));
        // The removed participant stays barred; the host's rejoin token still makes it the host, lock or not.
        Assert.Equal(RoomErrorCodes.Removed, Assert.Throws<RoomException>(() => second.Rooms.Reserve(roomId, "d2", "Drawer", removedId, "any")).Code);
        var token = restored.RejoinTokens[hostId];
        Assert.Equal(hostId, second.Rooms.Admit(second.Rooms.Reserve(roomId, "h2", "Host", hostId, token)).View.ParticipantId);
        Assert.Equal(ParticipantRoles.Host, second.Rooms.View(roomId).Access!.RoleOf(hostId));
    }

    [Fact]
    public async Task ARoomStoredBeforeRoomsHadHostsGetsAWatchAddressThatItKeepsAndItsNextJoinerHosts()
    {
        string roomId;
        await using (var first = new StoreHarness(_data.Path))
        {
            roomId = first.Rooms.CreateRoom();
            first.Join(roomId, "c1");
            first.Draw("c1", "s1");
        }
        Execute("UPDATE rooms SET AccessJson = NULL;"); // as versions before hosts wrote it
        SqliteConnection.ClearAllPools();

        string watchId, hostId;
        await using (var upgraded = new StoreHarness(_data.Path))
        {
            var room = upgraded.Store.Find(roomId)!;
            watchId = room.WatchId;
            Assert.True(RoomEditor.IsRoomId(watchId));
            Assert.Null(RoomEditor.Access(room).HostId);
            Assert.Single(upgraded.Rooms.View(roomId).Strokes);
            hostId = upgraded.Join(roomId, "c2", "newcomer");
            Assert.Equal(hostId, RoomEditor.Access(room).HostId);
        }

        await using var third = new StoreHarness(_data.Path);
        Assert.Equal(watchId, third.Store.Find(roomId)!.WatchId);
        Assert.Equal(hostId, RoomEditor.Access(third.Store.Find(roomId)!).HostId);
    }

    [Fact]
    public async Task ARestartRestoresRoomsStrokesWithOwnersAndOrderPromptAndSettings()
    {
        string roomA, roomB;
        RoomSnapshot before;
        FrameSettings settings;
        await using (var first = new StoreHarness(_data.Path))
        {
            roomA = first.Rooms.CreateRoom();
            roomB = first.Rooms.CreateRoom();
            var p1 = first.Join(roomA, "c1", "Ada");
            first.Join(roomA, "c2", "Grace");
            first.Draw("c1", "a1", 3, "#ff0000");
            first.Draw("c2", "b1", 7, "#00ff00", 9f);
            first.Draw("c1", "a2", 4);
            first.Draw("c2", "b2", 2);
            first.Rooms.Undo("c2"); // b2 is hidden: not restored (no history survives a restart)
            first.Rooms.SetPrompt("c1", "a lighthouse in fog");
            settings = new FrameSettings(3, 1234, true, Inference.Pipeline.GuidanceMode.Img2Img, 0.4f, 1.5f, "watercolour");
            first.Rooms.SetSettings("c2", settings);
            first.Join(roomB, "c3");
            first.Draw("c3", "x", 2);
            first.Rooms.Clear("c3"); // roomB ends empty
            before = first.Rooms.GetSnapshot(roomA, StoreHarness.Model);
            Assert.Equal(p1, before.Strokes[0].OwnerId);
        }

        await using var second = new StoreHarness(_data.Path);
        Assert.Equal(2, second.Rooms.RoomCount);
        var after = second.Rooms.GetSnapshot(roomA, StoreHarness.Model);
        Assert.Equal(["a1", "b1", "a2"], after.Strokes.Select(s => s.Id));
        Assert.Equal(before.Strokes.Select(s => (s.Id, s.OwnerId, s.Colour, s.Width)), after.Strokes.Select(s => (s.Id, s.OwnerId, s.Colour, s.Width)));
        for (var i = 0; i < before.Strokes.Count; i++) Assert.Equal(before.Strokes[i].Points, after.Strokes[i].Points);
        Assert.All(after.Strokes, s => Assert.True(s.Ended));
        Assert.Equal("a lighthouse in fog", after.Prompt);
        Assert.Equal(settings.ToWire(), after.Settings);
        Assert.True(after.Revision > before.Revision, "revisions keep growing across a restart");
        Assert.Empty(second.Rooms.GetSnapshot(roomB, StoreHarness.Model).Strokes);
    }

    [Fact]
    public async Task ParticipantIdsAreNotReusedAfterARestartSoOldStrokesStayTheirOwners()
    {
        string room;
        await using (var first = new StoreHarness(_data.Path))
        {
            room = first.Rooms.CreateRoom();
            first.Join(room, "c1");
            first.Rooms.BeginStroke("c1", "open", "#000000", 2f); // never ended: ended at restore
            first.Rooms.AppendPoints("c1", "open", [new CanvasPoint(1, 1, 0.5f)]);
        }
        await using var second = new StoreHarness(_data.Path);
        var newcomer = second.Join(room, "c9");
        Assert.NotEqual("p1", newcomer);
        var ex = Assert.Throws<RoomException>(() => second.Rooms.AppendPoints("c9", "open", [new CanvasPoint(2, 2, 0.5f)]));
        Assert.Equal(RoomErrorCodes.Forbidden, ex.Code);
        Assert.True(second.Rooms.GetSnapshot(room, StoreHarness.Model).Strokes.Single().Ended);
    }

    [Fact]
    public async Task ShutdownFlushesChangesStillInTheQueue()
    {
        string room;
        await using (var first = new StoreHarness(_data.Path, TimeSpan.FromSeconds(1)))
        {
            room = first.Rooms.CreateRoom();
            first.Join(room, "c1");
            // A stroke in progress is written behind (only its end waits for the commit).
            first.Rooms.BeginStroke("c1", "late", "#112233", 3f);
            first.Rooms.AppendPoints("c1", "late", [new(10, 20, 0.5f), new(11, 22, 0.5f)]);
            Assert.Equal(0, first.StoredStrokes(room)); // still queued: the flush interval is 1 s
        } // StopAsync flushes
        await using var second = new StoreHarness(_data.Path);
        Assert.Equal(["late"], second.Rooms.GetSnapshot(room, StoreHarness.Model).Strokes.Select(s => s.Id));
    }

    [Fact]
    public async Task AnAcknowledgedEndIsOnDiskBeforeItReturns()
    {
        await using var harness = new StoreHarness(_data.Path, TimeSpan.FromHours(1)); // the periodic flush never comes
        var room = harness.Rooms.CreateRoom();
        harness.Join(room, "c1");
        harness.Rooms.BeginStroke("c1", "s1", "#112233", 3f);
        harness.Rooms.AppendPoints("c1", "s1", [new(10, 20, 0.5f)]);
        Assert.Equal(0, harness.StoredStrokes(room, "s1"));

        harness.Rooms.EndStroke("c1", "s1");
        Assert.Equal(1, harness.StoredStrokes(room, "s1"));

        harness.Rooms.SetPrompt("c1", "durable now");
        using var context = harness.Database.CreateContext();
        Assert.Equal("durable now", context.Rooms.Single(r => r.Id == room).Prompt);
    }

    [Fact]
    public void TheDatabaseUsesWriteAheadLogging()
    {
        using var harness = new DisposableHarness(_data.Path);
        Assert.Equal("wal", harness.Value.Database.JournalMode);
        using var connection = new SqliteConnection(harness.Value.Database.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Fact]
    public async Task RoomsUnchangedLongerThanTheRetentionAreDroppedAtStart()
    {
        string room;
        await using (var first = new StoreHarness(_data.Path))
        {
            room = first.Rooms.CreateRoom();
        }
        using (var connection = new SqliteConnection(new StoreHarnessConnection(_data.Path).ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE rooms SET UpdatedAtMs = 0;";
            Assert.Equal(1, command.ExecuteNonQuery());
        }
        await using var second = new StoreHarness(_data.Path);
        Assert.False(second.Rooms.RoomExists(room));
    }

    private static FrameMessage Frame(long revision, int bytes, byte fill = 0x5a) =>
        new(revision, Enumerable.Repeat(fill, bytes).ToArray(), "image/jpeg", 64, 48, 2, 77, "a kite over dunes", "fake", false,
            new FrameTimings(1, 2, 3, 4, [5, 6], 7, 8, 9, 10, 1));

    [Fact]
    public async Task ARestartKeepsEachRoomsLastFrameForTheNextJoiner()
    {
        string current, stale;
        FrameMessage currentFrame, staleFrame;
        await using (var first = new StoreHarness(_data.Path))
        {
            current = first.Rooms.CreateRoom();
            first.Join(current, "c1");
            first.Draw("c1", "s1");
            currentFrame = Frame(first.Rooms.GetRevision("c1"), 3000);
            first.Rooms.SetLastFrame(current, currentFrame);

            stale = first.Rooms.CreateRoom();
            first.Join(stale, "c2");
            first.Draw("c2", "t1");
            staleFrame = Frame(first.Rooms.GetRevision("c2"), 2000, 0x33);
            first.Rooms.SetLastFrame(stale, staleFrame);
            first.Draw("c2", "t2"); // drawn after its frame: the frame is older than the room
        }

        await using var second = new StoreHarness(_data.Path);
        var up = second.Rooms.GetSnapshot(current, StoreHarness.Model);
        Assert.NotNull(up.LastFrame);
        Assert.Equal(currentFrame.Image, up.LastFrame.Image);
        Assert.Equal((currentFrame.ContentType, currentFrame.Width, currentFrame.Height, currentFrame.Seed, currentFrame.Prompt, currentFrame.Timings.ModelMs),
            (up.LastFrame.ContentType, up.LastFrame.Width, up.LastFrame.Height, up.LastFrame.Seed, up.LastFrame.Prompt, up.LastFrame.Timings.ModelMs));
        Assert.Equal(currentFrame.Timings.StepsMs, up.LastFrame.Timings.StepsMs);
        Assert.Equal(up.Revision, up.LastFrame.Revision); // it showed the room as it was: current, not "rendering"

        var behind = second.Rooms.GetSnapshot(stale, StoreHarness.Model);
        Assert.Equal(staleFrame.Image, behind.LastFrame!.Image);
        Assert.Equal(staleFrame.Revision, behind.LastFrame.Revision);
        Assert.True(behind.Revision > behind.LastFrame.Revision);
    }

    [Fact]
    public async Task AFrameOverTheImageLimitIsNotKeptAndDropsTheOlderOne()
    {
        string room;
        await using (var first = new StoreHarness(_data.Path, maxImageBytes: 4096))
        {
            room = first.Rooms.CreateRoom();
            first.Join(room, "c1");
            first.Rooms.SetLastFrame(room, Frame(first.Rooms.GetRevision("c1"), 4096));
            await first.Store.FlushAsync();
            first.Draw("c1", "s1");
            first.Rooms.SetLastFrame(room, Frame(first.Rooms.GetRevision("c1"), 4097));
        }

        await using var second = new StoreHarness(_data.Path, maxImageBytes: 4096);
        Assert.Null(second.Rooms.GetSnapshot(room, StoreHarness.Model).LastFrame);
        Assert.Single(second.Rooms.GetSnapshot(room, StoreHarness.Model).Strokes);
    }

    [Fact]
    public async Task ADatabaseFromBeforeFramesWereKeptAndBeforeMigrationsGetsTheFrameTable()
    {
        string room;
        await using (var first = new StoreHarness(_data.Path))
        {
            room = first.Rooms.CreateRoom();
            first.Join(room, "c1");
            first.Draw("c1", "s1");
        }
        // What the earliest versions made: no frame table, no gallery owners, and no migrations history.
        Execute("""
            DROP TABLE room_frames; DROP TABLE __EFMigrationsHistory; DROP TABLE room_members;
            DROP INDEX IX_kept_results_OwnerId; DROP INDEX IX_kept_results_RoomId;
            ALTER TABLE kept_results DROP COLUMN OwnerId; ALTER TABLE kept_results DROP COLUMN RoomId;
            """);

        await using (var upgraded = new StoreHarness(_data.Path))
        {
            Assert.Single(upgraded.Rooms.GetSnapshot(room, StoreHarness.Model).Strokes);
            upgraded.Join(room, "c2");
            upgraded.Rooms.SetLastFrame(room, Frame(upgraded.Rooms.GetRevision("c2"), 100));
        }

        await using var third = new StoreHarness(_data.Path);
        Assert.Equal(100, third.Rooms.GetSnapshot(room, StoreHarness.Model).LastFrame!.Image.Length);
        Assert.Equal(AllMigrations(third), AppliedMigrations(third));
    }

    [Fact]
    public async Task ADatabaseCreatedWithoutMigrationsIsBaselinedAndOpensWithItsData()
    {
        // The schema as EnsureCreated made it, with rows as earlier versions wrote them (the wire records as JSON).
        using (var legacy = new SanaSprint.Web.Persistence.SanaSprintDbContext(
            new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<SanaSprint.Web.Persistence.SanaSprintDbContext>()
                .UseSqlite(new StoreHarnessConnection(_data.Path).ConnectionString).Options))
        {
            Assert.True(legacy.Database.EnsureCreated());
        }
        Execute("""
            INSERT INTO rooms (Id, Prompt, SettingsJson, Revision, ParticipantCounter, ParticipantsJson, UpdatedAtMs)
            VALUES ('legacyroom000000000000', 'a lighthouse',
                    '{"steps":3,"seed":42,"seedLocked":true,"mode":"Img2Img","strength":0.6,"controlScale":1.1,"presetId":"ink"}',
                    7, 1, '[{"id":"p1","displayName":"old","colour":"#123456"}]', 9999999999999);
            INSERT INTO strokes (RoomId, Id, Seq, OwnerId, Colour, Width, Points, Ended, Visible)
            VALUES ('legacyroom000000000000', 's1', 1, 'p1', '#000000', 3, zeroblob(24), 1, 1);
            INSERT INTO room_frames (RoomId, Revision, Json, Image)
            VALUES ('legacyroom000000000000', 7,
                    '{"revision":7,"image":"","contentType":"image/jpeg","width":64,"height":64,"steps":3,"seed":42,"prompt":"a lighthouse","modelName":"old","isRefinement":false,"timings":{"queueMs":1,"rasterMs":2,"textMs":3,"controlEncodeMs":4,"stepsMs":[5,6,7],"decodeMs":8,"modelMs":30,"encodeMs":9,"serverMs":40,"batchSize":1,"waitMs":0}}',
                    x'FFD8FFD9');
            """);
        SqliteConnection.ClearAllPools();

        await using var opened = new StoreHarness(_data.Path);

        Assert.Equal(AllMigrations(opened), AppliedMigrations(opened));
        var snapshot = opened.Rooms.GetSnapshot("legacyroom000000000000", StoreHarness.Model);
        Assert.Equal("a lighthouse", snapshot.Prompt);
        Assert.Equal(new RoomSettings(3, 42, true, SanaSprint.Inference.Pipeline.GuidanceMode.Img2Img, 0.6f, 1.1f, "ink"), snapshot.Settings);
        Assert.Equal(2, Assert.Single(snapshot.Strokes).Points.Count);
        Assert.Equal([0xFF, 0xD8, 0xFF, 0xD9], snapshot.LastFrame!.Image);
        Assert.Equal([5.0, 6.0, 7.0], snapshot.LastFrame.Timings.StepsMs);
        Assert.Equal(snapshot.Revision, snapshot.LastFrame.Revision);
    }

    [Fact]
    public void ANewDatabaseHasEveryMigrationAndTheModelHasNoPendingChanges()
    {
        using var harness = new DisposableHarness(_data.Path);
        using var context = harness.Value.Database.CreateContext();

        Assert.Equal(AllMigrations(harness.Value), AppliedMigrations(harness.Value));
        Assert.False(context.Database.HasPendingModelChanges());
    }

    private static List<string> AllMigrations(StoreHarness harness)
    {
        using var context = harness.Database.CreateContext();
        return [.. context.Database.GetMigrations()];
    }

    private static List<string> AppliedMigrations(StoreHarness harness)
    {
        using var context = harness.Database.CreateContext();
        return [.. context.Database.GetAppliedMigrations()];
    }

    private void Execute(string sql)
    {
        using (var connection = new SqliteConnection(new StoreHarnessConnection(_data.Path).ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
    }

    public void Dispose() => _data.Dispose();

    private sealed class DisposableHarness(string path) : IDisposable
    {
        public StoreHarness Value { get; } = new(path, start: false);
        public void Dispose() => Value.Store.Dispose();
    }

    private sealed class StoreHarnessConnection(string dataDirectory)
    {
        public string ConnectionString => new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDirectory, Persistence.PersistenceOptions.DatabaseFileName),
        }.ToString();
    }
}
