using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>SignalR clients of the sketch hub on an in-process <see cref="TestServer"/> (WebSockets, no negotiation).</summary>
public static class TestHubConnection
{
    /// <summary>A connection builder for the hub on <paramref name="server"/>; the caller adds the protocol and builds.</summary>
    public static IHubConnectionBuilder For(TestServer server) => new HubConnectionBuilder()
        .WithUrl(new Uri(server.BaseAddress, SketchHub.Path), o =>
        {
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
            o.WebSocketFactory = async (context, ct) => await server.CreateWebSocketClient().ConnectAsync(context.Uri, ct);
        });
}
