using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.Reliability;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Rooms;

/// <summary>Empty rooms are dropped after <see cref="RoomOptions.EmptyRoomIdleTime"/> and never count against <see cref="RoomOptions.MaxRooms"/>.</summary>
public sealed class EmptyRoomTests : IDisposable
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);
    private readonly TempFolder _data = new();

    [Fact]
    public void EmptyRoomsDoNotCountAgainstTheCapSoNoOneCanFillItWithThem()
    {
        var rooms = SessionRooms.InMemory(new RoomOptions { MaxRooms = 2 });
        var empty = Enumerable.Range(0, 20).Select(_ => rooms.CreateRoom()).ToList();
        Assert.Equal(20, rooms.RoomCount);

        rooms.Join(empty[0], "a");
        rooms.Join(empty[1], "b");
        var full = Assert.Throws<RoomException>(() => rooms.CreateRoom());
        Assert.Equal(RoomErrorCodes.Limit, full.Code);
        Assert.Contains("in use", full.Message, StringComparison.Ordinal);

        // One leaves a room where nothing was drawn: it is empty again and its place in the cap is free.
        rooms.Leave("b");
        rooms.CreateRoom();
        Assert.Equal(1, rooms.Directory.CountRoomsInUse());
    }

    [Fact]
    public async Task AnEmptyRoomIsRemovedFromMemoryAndDatabaseAfterItsIdleTimeAndRoomsInUseAreKept()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = new RoomOptions { EmptyRoomIdleTime = Idle };
        string neverJoined, drawnAndLeft, present, leftWithoutDrawing;
        await using (var harness = new StoreHarness(_data.Path, start: false, time: clock, roomOptions: options))
        {
            neverJoined = harness.Rooms.CreateRoom();
            drawnAndLeft = harness.Rooms.CreateRoom();
            present = harness.Rooms.CreateRoom();
            leftWithoutDrawing = harness.Rooms.CreateRoom();
            harness.Join(drawnAndLeft, "d");
            harness.Draw("d", "s1");
            harness.Rooms.Leave("d");
            harness.Join(present, "p");
            harness.Join(leftWithoutDrawing, "l");
            harness.Rooms.Leave("l");
            await harness.Store.FlushAsync();
            Assert.True(harness.StoredRoom(neverJoined));

            clock.Advance(Idle - TimeSpan.FromSeconds(1));
            Assert.Equal(0, await harness.Rooms.Directory.EvictIdleRoomsAsync());
            Assert.Equal(4, harness.Rooms.RoomCount);

            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(2, await harness.Rooms.Directory.EvictIdleRoomsAsync());

            Assert.False(harness.Rooms.RoomExists(neverJoined));
            Assert.False(harness.Rooms.RoomExists(leftWithoutDrawing));
            Assert.False(harness.StoredRoom(neverJoined));
            Assert.False(harness.StoredRoom(leftWithoutDrawing));
            Assert.True(harness.Rooms.RoomExists(drawnAndLeft));
            Assert.True(harness.Rooms.RoomExists(present));
            Assert.Equal(1, harness.StoredStrokes(drawnAndLeft));
            // A link to a removed room is an unknown room.
            Assert.Equal(RoomErrorCodes.NotFound, Assert.Throws<RoomException>(() => harness.Rooms.Reserve(neverJoined, "late", "late")).Code);
        }

        // Nothing of the removed rooms comes back at the next start.
        await using var restarted = new StoreHarness(_data.Path, start: false, time: clock, roomOptions: options);
        Assert.Equal(2, restarted.Rooms.RoomCount);
        Assert.True(restarted.Rooms.RoomExists(drawnAndLeft));
        Assert.True(restarted.Rooms.RoomExists(present));
    }

    [Fact]
    public async Task ARoomLeftEmptyGetsItsWholeIdleTimeFromTheLastLeave()
    {
        var clock = new FakeTimeProvider();
        var rooms = SessionRooms.InMemory(new RoomOptions { EmptyRoomIdleTime = Idle }, time: clock);
        var roomId = rooms.CreateRoom();
        rooms.Join(roomId, "a");
        clock.Advance(Idle * 3); // present all along: in use
        Assert.Equal(0, await rooms.Directory.EvictIdleRoomsAsync());

        rooms.Leave("a");
        clock.Advance(Idle - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await rooms.Directory.EvictIdleRoomsAsync());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await rooms.Directory.EvictIdleRoomsAsync());
        Assert.False(rooms.RoomExists(roomId));
    }

    [Fact]
    public async Task EmptyRoomsRestoredAtStartAreRemovedAfterTheirIdleTime()
    {
        var clock = new FakeTimeProvider();
        var options = new RoomOptions { EmptyRoomIdleTime = Idle };
        string empty;
        await using (var harness = new StoreHarness(_data.Path, start: false, time: clock, roomOptions: options))
        {
            empty = harness.Rooms.CreateRoom();
            await harness.Store.FlushAsync();
        }
        clock.Advance(Idle * 10); // the server was down meanwhile

        await using var restarted = new StoreHarness(_data.Path, start: false, time: clock, roomOptions: options);
        Assert.True(restarted.Rooms.RoomExists(empty));
        Assert.Equal(0, await restarted.Rooms.Directory.EvictIdleRoomsAsync());
        clock.Advance(Idle);
        Assert.Equal(1, await restarted.Rooms.Directory.EvictIdleRoomsAsync());
        Assert.False(restarted.StoredRoom(empty));
    }

    [Fact]
    public async Task TheSweeperRemovesEmptyRoomsOnTheAppClock()
    {
        var clock = new FakeTimeProvider();
        var options = new RoomOptions { EmptyRoomIdleTime = Idle };
        var rooms = SessionRooms.InMemory(options, time: clock);
        var roomId = rooms.CreateRoom();
        using var sweeper = new EmptyRoomSweeper(rooms.Directory, Options.Create(options), clock, NullLogger<EmptyRoomSweeper>.Instance);
        await sweeper.StartAsync(CancellationToken.None);

        var interval = EmptyRoomSweeper.Interval(Idle);
        Assert.Equal(TimeSpan.FromMinutes(1), interval);
        // Ticks before the idle time leave the room; the tick at it removes the room.
        for (var elapsed = TimeSpan.Zero; elapsed < Idle; elapsed += interval)
        {
            Assert.True(rooms.RoomExists(roomId));
            clock.Advance(interval);
        }
        await WaitUntilAsync(() => !rooms.RoomExists(roomId));
        await sweeper.StopAsync(CancellationToken.None);
    }

    /// <summary>Waits for a condition the sweeper's own task makes true (it runs on the thread pool after a tick).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition()) await Task.Delay(10, timeout.Token);
    }

    public void Dispose() => _data.Dispose();
}
