using System.Net;
using SanaSprint.LocalCluster;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Cluster.Tests;

/// <summary>
/// The deployment as separate processes: web and gpu test nodes over a real redis-server, driven by SignalR clients on
/// the nodes' own addresses. The model is a fixed-delay double, so the CPU of this machine is not what is measured.
/// </summary>
[Collection(MultiProcessCollection.Name)]
public sealed class MultiProcessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [RedisFact]
    public async Task ClientsOnTwoWebNodesSeeEachOthersStrokesAndTheSameFrames()
    {
        await using var fx = await ClusterFixture.StartAsync(web: 2, gpu: 1, doubleMs: 20);
        await using var alice = await RoomClient.ConnectAsync(fx.Cluster.WebNodes[0].Url!);
        await using var bob = await RoomClient.ConnectAsync(fx.Cluster.WebNodes[1].Url!);
        var roomId = await alice.CreateRoomAsync();
        await alice.JoinAsync(roomId, "alice");
        await bob.JoinAsync(roomId, "bob");

        await alice.DrawStrokeAsync("a1");
        await bob.WaitForAsync(c => c.StrokesEnded.FirstOrDefault(s => s.StrokeId == "a1"), Wait, "alice's stroke on bob's node");
        var last = await bob.DrawStrokeAsync("b1", x0: 300);
        await alice.WaitForAsync(c => c.StrokesEnded.FirstOrDefault(s => s.StrokeId == "b1"), Wait, "bob's stroke on alice's node");

        var seenByAlice = await alice.WaitForFrameAsync(last, Wait);
        var seenByBob = await bob.WaitForAsync(c => c.Frames.FirstOrDefault(f => f.Revision == seenByAlice.Revision && !f.IsRefinement), Wait,
            $"the frame of revision {seenByAlice.Revision}");
        // One render fanned out to both nodes: the same revision, bytes and the renderer's own timings.
        Assert.Equal(seenByAlice.Image, seenByBob.Image);
        Assert.Equal((seenByAlice.Timings.ModelMs, seenByAlice.Timings.ServerMs, seenByAlice.Timings.QueueMs),
            (seenByBob.Timings.ModelMs, seenByBob.Timings.ServerMs, seenByBob.Timings.QueueMs));
    }

    [RedisFact]
    public async Task AWebNodeKilledRightAfterAnAcknowledgementLosesNothingAndItsClientRejoinsElsewhereAsItself()
    {
        await using var fx = await ClusterFixture.StartAsync(web: 2, gpu: 1, doubleMs: 20);
        RoomSnapshot before;
        var doomed = fx.Cluster.WebNodes[0];
        await using (var alice = await RoomClient.ConnectAsync(doomed.Url!))
        {
            var roomId = await alice.CreateRoomAsync();
            before = await alice.JoinAsync(roomId, "alice");
            await alice.DrawStrokeAsync("s1");
            await alice.DrawStrokeAsync("s2", x0: 300);
            doomed.Kill(); // right after the acknowledgement of s2
        }

        await using var again = await RoomClient.ConnectAsync(fx.Cluster.WebNodes[1].Url!);
        var after = await again.RejoinAsync(before, "alice");

        Assert.Equal(before.ParticipantId, after.ParticipantId);
        Assert.Equal(["s1", "s2"], after.Strokes.Where(s => s.Ended).Select(s => s.Id));
    }

    [RedisFact]
    public async Task AGpuNodeKilledMidFrameHandsItsRoomToTheOtherAndNoAcknowledgedStrokeIsLost()
    {
        await using var fx = await ClusterFixture.StartAsync(web: 1, gpu: 2, doubleMs: 1500);
        await using var alice = await RoomClient.ConnectAsync(fx.Cluster.WebNodes[0].Url!);
        var roomId = await alice.CreateRoomAsync();
        await alice.JoinAsync(roomId, "alice");
        var first = await alice.DrawStrokeAsync("s1");
        await alice.WaitForFrameAsync(first, Wait);

        var renderer = await GpuHoldingRendererAsync(fx.Cluster.GpuNodes);
        var newest = await alice.DrawStrokeAsync("s2", x0: 300); // its frame is now being made by the double (1.5 s)
        renderer.Kill();

        var frame = await alice.WaitForFrameAsync(newest, TimeSpan.FromSeconds(10 + 1.5));
        Assert.True(frame.Revision >= newest);
        await using var late = await RoomClient.ConnectAsync(fx.Cluster.WebNodes[0].Url!);
        var snapshot = await late.JoinAsync(roomId, "late");
        Assert.Equal(["s1", "s2"], snapshot.Strokes.Where(s => s.Ended).Select(s => s.Id));
    }

    [RedisFact]
    public async Task PagesKeepWorkingWhileRedisIsDown()
    {
        await using var fx = await ClusterFixture.StartAsync(web: 1, gpu: 0, doubleMs: 20);
        using var http = new HttpClient { BaseAddress = new Uri(fx.Cluster.WebNodes[0].Url!) };

        fx.Redis.Kill();
        using var page = await http.GetAsync("/");

        using var health = await http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("SanaSprint", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Degraded, not unhealthy: a load balancer keeps sending browsers to the node.
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());
        fx.Redis.Restart();
    }

    [Fact]
    public async Task ASingleModeNodeNeedsNoRedis()
    {
        var data = Directory.CreateTempSubdirectory("sanasprint-single-").FullName;
        var url = $"http://127.0.0.1:{LocalClusterRunner.FreePort()}";
        await using var node = NodeProcess.Start("single", url, "dotnet",
            [ClusterFixture.TestNodeAssembly(), "--model-double-ms", "10", "--urls", url, $"--Persistence:DataDirectory={data}",
             "--SchedulerOptions:Width=64", "--SchedulerOptions:Height=64"], data, data);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await node.WaitHealthyAsync(http, TimeSpan.FromMinutes(2), CancellationToken.None);

        await using var alice = await RoomClient.ConnectAsync(url);
        var roomId = await alice.CreateRoomAsync();
        await alice.JoinAsync(roomId, "alice");
        var revision = await alice.DrawStrokeAsync("s1");

        Assert.True((await alice.WaitForFrameAsync(revision, Wait)).Revision >= revision);
    }

    /// <summary>The gpu node whose metrics count a renderer (the room's), read from each node's <c>/metrics</c>.</summary>
    private static async Task<NodeProcess> GpuHoldingRendererAsync(IReadOnlyList<NodeProcess> gpus)
    {
        using var http = new HttpClient();
        foreach (var gpu in gpus)
        {
            var metrics = await http.GetStringAsync(new Uri(new Uri(gpu.Url!), "/metrics"));
            var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("sanasprint_renderers", StringComparison.Ordinal) && !l.StartsWith('#'));
            if (line is not null && double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) >= 1) return gpu;
        }
        throw new InvalidOperationException("no gpu node reports a renderer in /metrics (sanasprint_renderers)");
    }
}

/// <summary>Multi-process tests run one at a time: each starts several processes on a 2-core machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MultiProcessCollection
{
    public const string Name = "multi-process";
}
