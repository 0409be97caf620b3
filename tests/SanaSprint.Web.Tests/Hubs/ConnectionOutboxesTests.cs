using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>
/// The connections' outboxes alone, over a recording hub whose sends to a held connection wait until released (a client
/// that stopped reading): fan-out returns at once, each connection's events keep their order, frames are latest-wins per
/// connection, and a connection whose events overflow is disconnected.
/// </summary>
public sealed class ConnectionOutboxesTests
{
    private const string Room = "room-1";
    private readonly RecordingHubContext _hub = new();

    [Fact]
    public async Task AStalledMemberHoldsUpNobodyAndEachMemberGetsTheRoomsEventsInOrder()
    {
        var outboxes = Outboxes(capacity: 1000);
        outboxes.Enter("drawer", Room, () => { });
        outboxes.Enter("watcher", Room, () => { });
        var stalledAborted = false;
        outboxes.Enter("stalled", Room, () => stalledAborted = true);
        var stalled = _hub.Hold("stalled");

        // The drawer's points go to the others; Publish returns without waiting for any of them.
        for (var i = 1; i <= 100; i++) outboxes.Publish(Points(i), "drawer");
        outboxes.Publish(new StrokeEnded(Room, 101, "s"), null);
        await _hub.WaitForAsync("watcher", 101);
        await _hub.WaitForAsync("drawer", 1);
        await _hub.WaitForStartedAsync("stalled", 1);

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), _hub.Sent<PointsAppendedMessage>("watcher").Select(m => m.Revision));
        Assert.Equal(101, Assert.Single(_hub.Sent<StrokeEndedMessage>("watcher")).Revision);
        // The drawer was sent only the event meant for everyone (its own points were left out).
        Assert.Equal(nameof(ISketchClient.StrokeEnded), Assert.Single(_hub.Sent("drawer")).Method);
        // The stalled member is still taking its first event: the rest wait in its outbox, and it is still connected.
        Assert.Empty(_hub.Sent("stalled"));
        Assert.Equal(100, outboxes.Backlog("stalled"));
        Assert.False(stalledAborted);

        // When it reads again it gets everything, in order.
        stalled.SetResult();
        await _hub.WaitForAsync("stalled", 101);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), _hub.Sent<PointsAppendedMessage>("stalled").Select(m => m.Revision));
        Assert.Equal(0, outboxes.Backlog("stalled"));
    }

    [Fact]
    public async Task ASlowConnectionGetsTheNewestFrameNotEveryFrame()
    {
        var outboxes = Outboxes();
        outboxes.Enter("slow", Room, () => { });
        var slow = _hub.Hold("slow");
        outboxes.PublishFrame(Room, Frame(1));
        await _hub.WaitForStartedAsync("slow", 1);

        // Frames 2..10 arrive while frame 1 is still being sent.
        for (var revision = 2; revision <= 10; revision++) outboxes.PublishFrame(Room, Frame(revision));
        slow.SetResult();
        // A sentinel: sent after whatever else is still to come.
        await _hub.WaitForAsync("slow", 2);
        outboxes.PublishFrame(Room, Frame(11));
        await _hub.WaitForAsync("slow", 3);

        Assert.Equal([1L, 10L, 11L], _hub.Sent<FrameMessage>("slow").Select(f => f.Revision));
        Assert.Equal(8, outboxes.FramesDropped);
    }

    [Fact]
    public async Task AConnectionWhoseEventsOverflowIsDisconnectedWhileCursorsAreOnlyDropped()
    {
        const int capacity = 16;
        var outboxes = Outboxes(capacity);
        var aborted = 0;
        outboxes.Enter("slow", Room, () => aborted++);
        outboxes.Enter("fine", Room, () => throw new InvalidOperationException("not this one"));
        var slow = _hub.Hold("slow");
        var sentToFine = 0;
        // Each event is published once the reading member has taken the one before, so only the slow one falls behind.
        async Task PublishAsync(RoomEvent roomEvent)
        {
            outboxes.Publish(roomEvent, null);
            await _hub.WaitForAsync("fine", ++sentToFine);
        }

        await PublishAsync(Points(1));
        await _hub.WaitForStartedAsync("slow", 1);
        var flushed = outboxes.FlushAsync("slow"); // waits behind event 1
        for (var i = 2; i < capacity + 1; i++) await PublishAsync(Points(i));
        Assert.Equal(capacity, outboxes.Backlog("slow"));

        // A full lane drops a cursor and keeps the connection ...
        await PublishAsync(new CursorMoved(Room, "p", 1, 2));
        Assert.Equal(1, outboxes.CursorsDropped);
        Assert.Equal(0, aborted);
        Assert.False(flushed.IsCompleted);

        // ... but one more stroke event disconnects it, once; it leaves the room's outboxes.
        await PublishAsync(Points(capacity + 1));
        await PublishAsync(Points(capacity + 2));
        Assert.Equal(1, aborted);
        Assert.Equal(1, outboxes.OverflowDisconnects);
        Assert.Null(outboxes.Backlog("slow"));
        Assert.Equal(1, outboxes.Count);

        // Its pending flush completes once its transport gives up the send it was stuck in; the others lost nothing.
        slow.SetResult();
        await flushed;
        Assert.Equal(Enumerable.Range(1, capacity + 2).Select(i => (long)i), _hub.Sent<PointsAppendedMessage>("fine").Select(m => m.Revision));
        Assert.Single(_hub.Sent<CursorMessage>("fine"));
        outboxes.Close("slow");
        outboxes.Close("fine");
        Assert.Equal(0, outboxes.Count);
    }

    [Fact]
    public async Task AFlushCompletesOnceTheEventsQueuedBeforeItAreSent()
    {
        var outboxes = Outboxes();
        outboxes.Enter("caller", Room, () => { });
        var caller = _hub.Hold("caller");
        outboxes.Publish(Points(1), null);
        outboxes.Publish(Points(2), null);
        var flushed = outboxes.FlushAsync("caller");
        await _hub.WaitForStartedAsync("caller", 1);
        Assert.False(flushed.IsCompleted);

        caller.SetResult();
        await flushed;
        Assert.Equal([1L, 2L], _hub.Sent<PointsAppendedMessage>("caller").Select(m => m.Revision));
        // A connection that never joined has nothing to wait for.
        Assert.True(outboxes.FlushAsync("nobody").IsCompleted);
    }

    private ConnectionOutboxes Outboxes(int capacity = 64) =>
        new(_hub.Context, Options.Create(new OutboxOptions { EventCapacity = capacity }), NullLogger<ConnectionOutboxes>.Instance);

    private static PointsAppended Points(long revision) => new(Room, revision, "s", [new CanvasPoint(revision, revision, 0.5f)]);

    private static FrameMessage Frame(long revision) =>
        new(revision, [1, 2, 3], "image/jpeg", 8, 8, 2, 1, "p", "m", false, new FrameTimings(0, 0, 0, 0, [], 0, 0, 0, 0, 1));
}
