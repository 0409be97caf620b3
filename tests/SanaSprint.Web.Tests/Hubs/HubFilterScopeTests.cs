using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>
/// The sketch hub's limits (rate, message size, refusal logging) are the sketch hub's own: another hub in the same app,
/// such as Blazor's circuit hub, is never throttled by them.
/// </summary>
public sealed class HubFilterScopeTests : IAsyncLifetime
{
    private const int Calls = 60;
    private readonly TightLimitsApp _app = new();

    /// <inheritdoc />
    public Task InitializeAsync() => _app.InitializeAsync();

    /// <inheritdoc />
    public Task DisposeAsync() => _app.DisposeAsync().AsTask();

    [Fact]
    public async Task AnotherHubOfTheAppIsNotThrottledByTheSketchHubsLimits()
    {
        // Control: the sketch hub refuses calls beyond its (tight) budget.
        var (_, clients) = await _app.RoomWithClientsAsync(1);
        var sketch = clients[0];
        var refused = 0;
        for (var i = 0; i < Calls; i++)
        {
            try
            {
                await sketch.Connection.InvokeAsync("Cursor", 1f, 1f);
            }
            catch (HubException ex) when (ex.Message.Contains("Too many calls", StringComparison.Ordinal))
            {
                refused++;
            }
        }
        Assert.True(refused > 0, "the sketch hub's rate limit refuses a burst beyond its budget");

        // The same burst to another hub of the app all goes through.
        await using var echo = new HubConnectionBuilder()
            .WithUrl(new Uri(_app.Server.BaseAddress, EchoHub.Path), o =>
            {
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
                o.WebSocketFactory = async (context, ct) => await _app.Server.CreateWebSocketClient().ConnectAsync(context.Uri, ct);
            })
            .Build();
        await echo.StartAsync();
        for (var i = 0; i < Calls; i++) Assert.Equal(i, await echo.InvokeAsync<int>(nameof(EchoHub.Echo), i));
    }

    /// <summary>A hub that is not the sketch hub.</summary>
    public sealed class EchoHub : Hub
    {
        /// <summary>Where the test maps it.</summary>
        public const string Path = "/test/echo";

        /// <summary>Returns its argument.</summary>
        public int Echo(int value) => value;
    }

    private sealed class TightLimitsApp : SketchHubFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [
            .. base.Settings,
            new("HubLimits:InvocationsPerSecond", "1"),
            new("HubLimits:InvocationBurst", "5"),
        ];

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddTransient<IStartupFilter, MapEchoHub>());
        }
    }

    private sealed class MapEchoHub : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Map(EchoHub.Path, branch =>
            {
                branch.UseRouting();
                branch.UseEndpoints(endpoints => endpoints.MapHub<EchoHub>(""));
            });
            next(app);
        };
    }
}
