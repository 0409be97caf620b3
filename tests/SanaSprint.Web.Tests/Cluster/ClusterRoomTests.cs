using System.Threading.Channels;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>Rooms across web nodes: events in order on every node, fencing of a stale activation, the room watchdog.</summary>
/// <param name="cluster">The test cluster (one per class).</param>
public sealed class ClusterRoomTests(RoomClusterFixture cluster) : IClassFixture<RoomClusterFixture>
{
    private static FrameMessage Frame(long revision) =>
        new(revision, [1, 2, 3], "image/jpeg", 64, 64, 2, 7, "p", "fake", false, new FrameTimings(0, 0, 0, 0, [], 0, 0, 0, 0, 1));

    [Fact]
    public async Task TwoNodesSeeEachOthersEventsInTheRoomsOrder()
    {
        var a = new SessionRooms(cluster.Directory("web-0"));
        var b = new SessionRooms(cluster.Directory("web-1"));
        var roomId = a.CreateRoom();
        a.Join(roomId, "ann-session", "ann");
        b.Join(roomId, "bob-session", "bob");
        var seenOnA = Channel.CreateUnbounded<RoomEvent>();
        var seenOnB = Channel.CreateUnbounded<RoomEvent>();
        using var onA = a.Rooms.Subscribe(roomId, e => seenOnA.Writer.WriteAsync(e).AsTask());
        using var onB = b.Rooms.Subscribe(roomId, e => seenOnB.Writer.WriteAsync(e).AsTask());

        List<long> made = [];
        for (var i = 0; i < 3; i++)
        {
            var (rooms, session) = i % 2 == 0 ? (a, "ann-session") : (b, "bob-session");
            made.Add(rooms.BeginStroke(session, $"s{i}", "#000000", 2).Revision);
            made.Add(rooms.AppendPoints(session, $"s{i}", [new(1, 2, 0.5f), new(3, 4, 0.5f)]).Revision);
            made.Add(rooms.EndStroke(session, $"s{i}").Revision);
        }

        foreach (var seen in new[] { seenOnA, seenOnB })
        {
            List<long> revisions = [];
            while (revisions.Count < made.Count)
            {
                var e = await seen.Reader.ReadAsync().AsTask().WaitAsync(RoomClusterFixture.HangGuard);
                if (e.Revision > 0) revisions.Add(e.Revision);
            }
            Assert.Equal(made, revisions);
        }
        Assert.Equal(made, Enumerable.Range((int)made[0], made.Count).Select(r => (long)r)); // one revision per change, none skipped
        Assert.Equal(["s0", "s1", "s2"], b.View(roomId).Strokes.Select(s => s.Id));
    }

    [Fact]
    public async Task AStaleActivationIsFencedAndTheRoomGoesOnFromItsNewestCopy()
    {
        var rooms = new SessionRooms(cluster.Directory("web-0"));
        var roomId = rooms.CreateRoom();
        rooms.Join(roomId, "ann-session", "ann");
        rooms.Draw("ann-session", "kept");

        // A second activation of the room elsewhere (a duplicate after a partition) takes a newer epoch.
        var duplicate = new SharedMemoryRoomStore(cluster.Backing);
        Assert.NotNull(await duplicate.ActivateAsync(roomId));

        var refused = Assert.Throws<RoomException>(() => rooms.SetPrompt("ann-session", "from the stale copy"));
        Assert.Equal(RoomErrorCodes.Unavailable, refused.Code);
        Assert.NotEqual("from the stale copy", cluster.Backing.Read(roomId)!.Prompt);

        // The stale activation ended: the next call reaches a copy loaded from the store, and the participant is still in.
        Assert.Equal("fresh", rooms.SetPrompt("ann-session", "fresh").Prompt);
        Assert.Equal("fresh", cluster.Backing.Read(roomId)!.Prompt);
        Assert.Equal(["kept"], rooms.View(roomId).Strokes.Select(s => s.Id));
    }

    [Fact]
    public async Task TheWatchdogDispatchesEachRevisionAndAgainWhenItsFrameIsOverdue()
    {
        var rooms = new SessionRooms(cluster.Directory("web-0"));
        var roomId = rooms.CreateRoom();
        rooms.Join(roomId, "ann-session", "ann");
        var room = cluster.Grains().GetGrain<IRoomGrain>(roomId);

        var first = rooms.BeginStroke("ann-session", "s", "#000000", 2).Revision;
        Assert.Equal([first], cluster.Dispatch.Of(roomId));

        // Within the deadline nothing is sent again; past it, the newest revision is.
        cluster.Clock.Advance(RoomClusterFixture.FrameDeadline / 2);
        await room.SweepAsync();
        Assert.Equal([first], cluster.Dispatch.Of(roomId));
        cluster.Clock.Advance(RoomClusterFixture.FrameDeadline);
        await room.SweepAsync();
        Assert.Equal([first, first], cluster.Dispatch.Of(roomId));

        // Once its frame came, the revision is not dispatched again; the next change is.
        await room.FrameReadyAsync(Frame(first));
        cluster.Clock.Advance(RoomClusterFixture.FrameDeadline * 2);
        await room.SweepAsync();
        var next = rooms.AppendPoints("ann-session", "s", [new(1, 1, 0.5f)]).Revision;
        Assert.Equal([first, first, next], cluster.Dispatch.Of(roomId));
        Assert.Equal(first, rooms.View(roomId).LastFrame?.Revision);
    }

    [Fact]
    public async Task TheRenderFeedSendsOnlyTheStrokesAboveTheRenderersPrefixUntilAStrokeBelowItChanges()
    {
        var rooms = new SessionRooms(cluster.Directory("web-0"));
        var roomId = rooms.CreateRoom();
        rooms.Join(roomId, "ann-session", "ann");
        rooms.Draw("ann-session", "a");
        rooms.Draw("ann-session", "b");
        var room = cluster.Grains().GetGrain<IRoomGrain>(roomId);

        var all = await room.GetRenderStateAsync(RenderStrokePrefix.None);
        Assert.Equal((0, 2), (all!.KeptStrokes, all.EndedStrokes));
        Assert.Equal(["a", "b"], all.Strokes.Select(s => s.Id));

        rooms.Draw("ann-session", "c");
        var delta = await room.GetRenderStateAsync(new RenderStrokePrefix(all.Generation, all.EndedStrokes));
        Assert.Equal((2, 3), (delta!.KeptStrokes, delta.EndedStrokes));
        Assert.Equal(["c"], delta.Strokes.Select(s => s.Id));

        rooms.Undo("ann-session"); // c hidden: below-the-top change, new generation, everything again
        var afterUndo = await room.GetRenderStateAsync(new RenderStrokePrefix(delta.Generation, delta.EndedStrokes));
        Assert.NotEqual(delta.Generation, afterUndo!.Generation);
        Assert.Equal(0, afterUndo.KeptStrokes);
        Assert.Equal(["a", "b"], afterUndo.Strokes.Select(s => s.Id));
    }

    [Fact]
    public async Task HealthzReportsThisSilosMembershipAndTheSilosOfEachRole()
    {
        var health = await cluster.ClusterHealthAsync();

        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Equal(("web-0", 2, 1), ((string)health.Data["silo"], (int)health.Data["roomSilos"], (int)health.Data["rendererSilos"]));
    }
}
