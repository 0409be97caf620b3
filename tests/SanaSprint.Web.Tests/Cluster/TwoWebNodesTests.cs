using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// The product's web mode for real: two web nodes (each the whole app with its Orleans silo) joined through a real
/// <c>redis-server</c> (membership, room store, sketch hub backplane), with a hub client on each.
/// </summary>
/// <param name="redis">The Redis server (started on a free port; skipped with the reason when absent).</param>
public sealed class TwoWebNodesTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [RedisFact]
    public async Task TwoClientsOnTwoWebNodesSeeEachOthersStrokesInOneRoom()
    {
        var clusterId = "t" + Guid.NewGuid().ToString("N")[..12];
        await using var first = new WebNode(redis.Server.Configuration, clusterId);
        await using var second = new WebNode(redis.Server.Configuration, clusterId);
        Assert.IsType<OrleansRoomDirectory>(first.Services.GetRequiredService<IRoomDirectory>());
        var roomId = await first.Services.GetRequiredService<IRoomDirectory>().CreateRoomAsync();

        await using var ann = await first.ConnectAsync();
        await using var bob = await second.ConnectAsync();
        await ann.JoinAsync(roomId, "ann");
        var bobs = await bob.JoinAsync(roomId, "bob");
        Assert.Equal(2, bobs.Participants.Count);

        var annsEnd = await ann.DrawAsync("ann-1", [new StrokePoint(10, 10, 0.5f), new StrokePoint(20, 20, 0.5f)]);
        var seenByBob = await bob.WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "ann-1", RoomClusterFixture.HangGuard);
        Assert.Equal(annsEnd, seenByBob.Revision);
        Assert.Equal([new StrokePoint(10, 10, 0.5f), new StrokePoint(20, 20, 0.5f)],
            bob.All<PointsAppendedMessage>().Where(m => m.StrokeId == "ann-1").SelectMany(m => m.Points));

        var bobsEnd = await bob.DrawAsync("bob-1", [new StrokePoint(30, 30, 0.5f)]);
        Assert.Equal(bobsEnd, (await ann.WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "bob-1", RoomClusterFixture.HangGuard)).Revision);

        // Both nodes see one room: either one's view has both strokes, in the room's order.
        var view = await second.Services.GetRequiredService<IRoomDirectory>().GetViewAsync(roomId);
        Assert.Equal(["ann-1", "bob-1"], view.Strokes.Select(s => s.Id));
    }

    /// <summary>The app in web mode on its own silo and gateway ports, its hub over the test server.</summary>
    private sealed class WebNode(string redis, string clusterId) : WebApplicationFactory<Program>
    {
        private readonly int _siloPort = FreePort(), _gatewayPort = FreePort();

        public async Task<SketchClient> ConnectAsync()
        {
            var client = new SketchClient(TestHubConnection.For(Server).AddMessagePackProtocol().Build());
            await client.Connection.StartAsync();
            return client;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("Deployment:Mode", "web");
            builder.UseSetting("Deployment:Redis", redis);
            builder.UseSetting("Deployment:ClusterId", clusterId);
            builder.UseSetting("Deployment:SiloPort", _siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Deployment:GatewayPort", _gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            builder.UseSetting("Deployment:AdvertisedAddress", "127.0.0.1");
            builder.UseSetting("Persistence:Enabled", "false");
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
