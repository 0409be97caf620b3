using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// The app of <see cref="SketchHubFixture"/> on real Kestrel at a free localhost port (the in-memory test server has no
/// sockets, so nothing fills up when a client stops reading), with small kernel send buffers on the server's sockets, no
/// rate limit, and nobody dropped for falling behind: a roomy outbox, a long send timeout and no client timeout (a client
/// that sends nothing stays connected).
/// </summary>
public sealed class KestrelHubFixture : SketchHubFixture, IAsyncLifetime
{
    /// <summary>The send buffer asked for on the listening socket; accepted sockets inherit it.</summary>
    public const int SmallSocketBuffer = 4096;

    /// <summary>The app's base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The listening socket's send buffer as the kernel set it (Linux doubles the request).</summary>
    public int ServerSendBufferSize { get; private set; }

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("HubLimits:InvocationsPerSecond", "1000000"),
        new("HubLimits:InvocationBurst", "1000000"),
        new("Outbox:EventCapacity", "1000000"),
        new("Outbox:SendTimeout", "00:30:00"),
    ];

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.Configure<SocketTransportOptions>(o => o.CreateBoundListenSocket = endpoint =>
            {
                var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                socket.SendBufferSize = SmallSocketBuffer;
                ServerSendBufferSize = socket.SendBufferSize;
                return socket;
            });
            services.PostConfigure<HubOptions<SketchHub>>(o => o.ClientTimeoutInterval = TimeSpan.FromHours(1));
        });
    }

    /// <summary>Connects a MessagePack SignalR client over a real WebSocket and starts recording its events.</summary>
    public async Task<SketchClient> ConnectOverSocketAsync()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(BaseAddress, SketchHub.Path), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .AddMessagePackProtocol()
            .Build();
        var client = new SketchClient(connection);
        await connection.StartAsync();
        return client;
    }

    Task IAsyncLifetime.InitializeAsync()
    {
        var port = FreePort();
        UseKestrel(port);
        StartServer();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        return Task.CompletedTask;
    }

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
