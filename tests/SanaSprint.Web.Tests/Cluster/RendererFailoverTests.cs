using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Rendering;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// GPU silos leaving an in-process cluster (one web, two GPU silos): a room whose GPU went away is placed on the other
/// one at its next dispatch and gets the frame of its newest revision, drawn from every stroke (the new renderer holds
/// none, so it asks for all of them); with no GPU silo left, dispatching fails with <see cref="NoGpuWorkerException"/>.
/// </summary>
public sealed class RendererFailoverTests(OneWebTwoGpuCluster cluster) : IClassFixture<OneWebTwoGpuCluster>
{
    [Fact]
    public async Task AStoppedGpusRoomRendersItsNewestRevisionOnTheOtherAndWithNoGpuLeftDispatchSaysSo()
    {
        var room = cluster.Feeds.NewRoom("a harbour at dusk");
        var other = cluster.Feeds.NewRoom("a quiet field");
        room.Draw(room.Ann, "a1");
        await cluster.DispatchAsync(room);
        other.Draw(other.Ann, "a1");
        await cluster.DispatchAsync(other);
        await room.WaitForFrameAsync(f => f.Revision == room.Revision);
        var first = cluster.HolderOf(room.RoomId)!;
        var survivor = cluster.Silos(ClusterRoles.Gpu).Single(s => s != first);

        await cluster.Cluster.StopSiloAsync(first);
        room.Draw(room.Bob, "b1", 40);
        room.Begin(room.Ann, "a2");
        room.Append(room.Ann, "a2", new SanaSprint.Web.Rooms.CanvasPoint(70, 70, 0.5f));
        var asksBefore = room.Asked.Count;
        await cluster.DispatchAsync(room); // the room's watchdog dispatches its newest revision again
        var frame = await room.WaitForFrameAsync(f => f.Revision == room.Revision);

        Assert.Same(survivor, cluster.HolderOf(room.RoomId));
        Assert.Equal(RenderStrokePrefix.None, room.Asked[asksBefore]);
        Assert.Equal(room.Revision, frame.Revision);

        await cluster.Cluster.StopSiloAsync(survivor);
        room.Draw(room.Bob, "b2", 90);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => cluster.DispatchAsync(room));

        Assert.Contains(Chain(refused), e => e is NoGpuWorkerException);
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
        if (e is AggregateException all) foreach (var inner in all.InnerExceptions) yield return inner;
    }
}
