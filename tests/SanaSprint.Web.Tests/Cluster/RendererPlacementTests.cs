using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Inference.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// Renderers on an in-process cluster of two web and two GPU silos: they live on GPU silos only, spread by load, each GPU
/// keeps to <c>Gpu:MaxRooms</c> by shedding its idlest rooms, every dispatched revision gets its frame back at the room,
/// and one GPU's scheduler batches rooms whose revisions came from both web silos into one model run.
/// </summary>
public sealed class RendererPlacementTests(TwoWebTwoGpuCluster cluster) : IClassFixture<TwoWebTwoGpuCluster>
{
    private async Task<FakeRoomFeed> DrawnRoomAsync(int i, IGrainFactory? caller = null)
    {
        var room = cluster.Feeds.NewRoom($"room {i}");
        room.Draw(room.Ann, "a1", i);
        await cluster.DispatchAsync(room, caller);
        return room;
    }

    [Fact]
    public async Task RenderersLiveOnlyOnGpuSilosSpreadEvenlyAndEachRoomGetsItsFrame()
    {
        List<FakeRoomFeed> rooms = [];
        try
        {
            for (var i = 0; i < 20; i++) rooms.Add(await DrawnRoomAsync(i));
            var frames = await Task.WhenAll(rooms.Select(r => r.WaitForFrameAsync(f => f.Revision == r.Revision)));

            var gpus = cluster.Silos(ClusterRoles.Gpu);
            var held = gpus.Select(s => GpuClusterFixture.Source(s).Renderers).ToArray();
            var activations = await cluster.RendererActivationsAsync();
            var onWeb = cluster.Silos(ClusterRoles.Web).Sum(s => activations.GetValueOrDefault(s.SiloAddress));

            Assert.Equal(2, gpus.Count);
            Assert.Equal(20, held.Sum());
            Assert.InRange(held[0], 9, 11);
            Assert.Equal(0, onWeb);
            Assert.All(rooms, r => Assert.NotNull(cluster.HolderOf(r.RoomId)));
            Assert.Equal(rooms.Select(r => r.Revision), frames.Select(f => f.Revision));
        }
        finally
        {
            await cluster.ReleaseAllAsync(rooms);
        }
    }

    [Fact]
    public async Task AGpuSiloIsHealthyOnceWarmAndActiveAndAWebSiloHasNoGpuCheck()
    {
        var gpu = cluster.Silos(ClusterRoles.Gpu)[0].ServiceProvider.GetRequiredService<HealthCheckService>();
        var web = cluster.Silos(ClusterRoles.Web)[0].ServiceProvider.GetService<HealthCheckService>();

        var report = await gpu.CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries[GpuWorkerExtensions.HealthCheckName].Status);
        Assert.Contains("Active", report.Entries[GpuWorkerExtensions.HealthCheckName].Description);
        Assert.Null(web);
    }

    [Fact]
    public async Task AGpuNodeHandsFramesOnlyToTheRoomNeverStraightToItsOwnConnections()
    {
        List<FakeRoomFeed> rooms = [];
        try
        {
            rooms.Add(await DrawnRoomAsync(100));
            var room = rooms[0];
            await room.WaitForFrameAsync(f => f.Revision == room.Revision);
            var gpu = cluster.HolderOf(room.RoomId)!;
            var outboxes = gpu.ServiceProvider.GetRequiredService<ConnectionOutboxes>();
            var hub = cluster.Hubs[GpuClusterFixture.NameOf(gpu)];
            var sends = hub.Hold("local-1");
            // A connection of this node in the room (as on an all node): the room's fan-out reaches it, the scheduler must not.
            outboxes.Enter("local-1", room.RoomId, () => { });
            var droppedBefore = outboxes.FramesDropped;
            room.Draw(room.Bob, "b1", 60);
            await cluster.DispatchAsync(room);
            await room.WaitForFrameAsync(f => f.Revision == room.Revision);
            // Barrier: everything the scheduler handed over has been passed on (to the room, and to any outbox it uses).
            await gpu.ServiceProvider.GetRequiredService<FrameDelivery>().DrainAsync(TimeSpan.FromSeconds(30));
            // The room's own fan-out, told apart by its revision. Had the scheduler sent its frame here too, that frame
            // would be sent first or be replaced by this one (a dropped frame).
            var fanOut = room.Frames[^1] with { Revision = room.Revision + 1000 };
            outboxes.PublishFrame(room.RoomId, fanOut);
            await hub.WaitForStartedAsync("local-1", 1);
            sends.SetResult();
            await hub.WaitForAsync("local-1", 1);

            Assert.Equal(fanOut.Revision, hub.Sent<FrameMessage>("local-1")[0].Revision);
            Assert.Equal(droppedBefore, outboxes.FramesDropped);
            outboxes.Leave("local-1");
        }
        finally
        {
            await cluster.ReleaseAllAsync(rooms);
        }
    }

    [Fact]
    public async Task AGpuOverMaxRoomsShedsItsIdlestRoomsAndKeepsItsNewestOnes()
    {
        List<FakeRoomFeed> rooms = [];
        try
        {
            for (var i = 0; i < 30; i++) rooms.Add(await DrawnRoomAsync(i));
            var gpus = cluster.Silos(ClusterRoles.Gpu);
            await GpuClusterFixture.Until(() => Task.FromResult(gpus.Sum(s => GpuClusterFixture.Source(s).Renderers) == 2 * cluster.MaxRooms),
                "the GPUs shed down to MaxRooms each");

            var held = gpus.Select(s => GpuClusterFixture.Source(s).Renderers).ToArray();
            var shed = gpus.Sum(s => GpuClusterFixture.Source(s).RoomsShed);

            Assert.All(held, n => Assert.Equal(cluster.MaxRooms, n));
            Assert.True(shed >= 30 - 2 * cluster.MaxRooms, $"{shed} rooms shed");
            // A room just placed is never the idlest: the six newest are all still rendered.
            Assert.All(rooms.TakeLast(6), r => Assert.NotNull(cluster.HolderOf(r.RoomId)));
            // A shed room's next revision is placed again and rendered.
            var first = rooms[0];
            Assert.Null(cluster.HolderOf(first.RoomId));
            first.Draw(first.Bob, "b1", 80);
            await cluster.DispatchAsync(first);
            await first.WaitForFrameAsync(f => f.Revision == first.Revision);
            Assert.NotNull(cluster.HolderOf(first.RoomId));
        }
        finally
        {
            await cluster.ReleaseAllAsync(rooms);
        }
    }

    [Fact]
    public async Task RoomsChangedThroughBothWebSilosShareOneModelRunOnTheirGpu()
    {
        List<FakeRoomFeed> rooms = [];
        try
        {
            // Rooms until three share a GPU (placement alternates between the two).
            for (var i = 0; i < 6; i++) rooms.Add(await DrawnRoomAsync(i));
            await Task.WhenAll(rooms.Select(r => r.WaitForFrameAsync(f => f.Revision == r.Revision)));
            var gpu = cluster.Silos(ClusterRoles.Gpu)[0];
            var mine = rooms.Where(r => GpuClusterFixture.Source(gpu).Holds(r.RoomId)).Take(3).ToArray();
            Assert.Equal(3, mine.Length);
            var (held, first, second) = (mine[0], mine[1], mine[2]);
            var web = cluster.Silos(ClusterRoles.Web).Select(s => s.ServiceProvider.GetRequiredService<IGrainFactory>()).ToArray();
            var model = cluster.Model(gpu);

            // The model is busy with one room while the two others change, one through each web silo.
            var runsBefore = model.Runs.Count;
            model.HoldIn = (GenerationStage.Text, 0);
            held.Draw(held.Bob, "b1", 50);
            await cluster.DispatchAsync(held, web[0]);
            await model.WaitUntilHeldAsync();
            first.Draw(first.Bob, "b1", 60);
            await cluster.DispatchAsync(first, web[0]);
            second.Draw(second.Bob, "b1", 70);
            await cluster.DispatchAsync(second, web[1]);
            model.HoldIn = null;
            model.Release();
            var frames = await Task.WhenAll(new[] { held, first, second }.Select(r => r.WaitForFrameAsync(f => f.Revision == r.Revision)));

            var runs = model.Runs.Skip(runsBefore).Select(r => r.Requests.Select(q => q.Prompt).Order().ToArray()).ToArray();
            // One run for the held room, then one for both rooms that changed meanwhile.
            Assert.Equal([[held.LocalState().ComposedPrompt], new[] { first.LocalState().ComposedPrompt, second.LocalState().ComposedPrompt }.Order().ToArray()], runs);
            Assert.Equal([1, 2, 2], frames.Select(f => f.Timings.BatchSize));
        }
        finally
        {
            cluster.Model(cluster.Silos(ClusterRoles.Gpu)[0]).HoldIn = null;
            await cluster.ReleaseAllAsync(rooms);
        }
    }
}
