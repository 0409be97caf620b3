using Microsoft.Extensions.Diagnostics.HealthChecks;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>Silos going away: a web silo's participants become ghosts marked Left; without a GPU silo rooms are told so and drawing goes on.</summary>
/// <param name="cluster">The test cluster (one per class; these tests stop silos of it, each a different one).</param>
public sealed class ClusterFailoverTests(RoomClusterFixture cluster) : IClassFixture<RoomClusterFixture>
{
    [Fact]
    public async Task ParticipantsOfAStoppedWebSiloAreMarkedLeftAndRejoinAsThemselvesOnAnotherNode()
    {
        var a = new SessionRooms(cluster.Directory("web-0"));
        var b = new SessionRooms(cluster.Directory("web-1"));
        var roomId = a.CreateRoom();
        a.Join(roomId, "ann-session", "ann");
        var (bob, _) = b.Admit(b.Reserve(roomId, "bob-session", "bob"));
        b.Draw("bob-session", "bobs");

        await cluster.StopSiloAsync("web-1");
        // The room (activated anew on web-0 if it lived on web-1) hears from the live node, and after a subscription's
        // lifetime a participant no live node claims is a ghost.
        await ((OrleansRoomDirectory)a.Rooms).RenewAsync();
        cluster.Clock.Advance(RoomGrain.ObserverLifetime + TimeSpan.FromSeconds(1));
        await cluster.Grains().GetGrain<IRoomGrain>(roomId).SweepAsync();

        var view = a.View(roomId);
        Assert.Equal(["ann"], view.Participants.Select(p => p.DisplayName));
        Assert.Equal(["bobs"], view.Strokes.Select(s => s.Id));

        // Bob's client reconnects to web-0 with its rejoin token: the same participant, its stroke still undoable.
        var again = a.Admit(a.Reserve(roomId, "bob-again", "bob", bob.ParticipantId, bob.RejoinToken)).View;
        Assert.Equal(bob.ParticipantId, again.ParticipantId);
        Assert.Equal(["bobs"], a.Undo("bob-again")!.Hidden);
    }

    [Fact]
    public async Task WithoutAGpuSiloRoomsAreToldNoGpuWorkerIsUpAndDrawingGoesOn()
    {
        await cluster.StopSiloAsync("gpu-2");
        var rooms = new SessionRooms(cluster.Directory("web-0"));
        var roomId = rooms.CreateRoom();
        rooms.Join(roomId, "ann-session", "ann");
        var observer = new RecordingRoomObserver();
        var grains = cluster.Grains();
        var reference = grains.CreateObjectReference<IRoomObserver>(observer);
        await grains.GetGrain<IRoomGrain>(roomId).SubscribeAsync(reference, cluster.Silo("web-0").SiloAddress, []);

        var revision = rooms.BeginStroke("ann-session", "s", "#000000", 2).Revision;

        var failure = await observer.NextAsync<FrameFailedMessage>();
        Assert.Equal(new FrameFailedMessage(revision, RoomGrain.NoGpuMessage, true), failure);
        Assert.Empty(cluster.Dispatch.Of(roomId));
        rooms.AppendPoints("ann-session", "s", [new(1, 1, 0.5f)]);
        rooms.EndStroke("ann-session", "s");
        Assert.Equal(["s"], rooms.View(roomId).Strokes.Select(s => s.Id));
        var health = await cluster.ClusterHealthAsync();
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains(RoomGrain.NoGpuMessage, health.Description, StringComparison.Ordinal);
    }
}
