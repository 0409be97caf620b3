using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SanaSprint.Web.Security;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>The headers every response carries, and who may read <c>/metrics</c>.</summary>
[Collection(SketchHubCollection.Name)]
public sealed class HttpSurfaceTests(SketchHubFixture app)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/css/app.css")]
    [InlineData("/_framework/blazor.web.js")]
    public async Task EveryResponseForbidsSniffingKeepsTheReferrerOnSiteAndRunsOnlyOwnScripts(string path)
    {
        using var response = await app.CreateClient().GetAsync(path);

        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        var policy = Directives(Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal(["'self'"], policy["script-src"]);
        Assert.Equal(["'self'"], policy["connect-src"]);
        Assert.Equal(["'self'"], policy["frame-ancestors"]);
        Assert.Equal(["'none'"], policy["object-src"]);
    }

    [Fact]
    public async Task MetricsAnswerThisMachineAndNotTheWorld()
    {
        using (var local = WithRemoteAddress(IPAddress.Loopback))
        {
            using var response = await local.CreateClient().GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var stranger = WithRemoteAddress(IPAddress.Parse("203.0.113.9"));
        using var refused = await stranger.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.DoesNotContain("sanasprint", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The rest of the site still answers that client.
        using var page = await stranger.CreateClient().GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task AConfiguredNetworkIsAnsweredAndOthersStillAreNot()
    {
        var settings = new Dictionary<string, string?> { ["Metrics:AllowedNetworks:0"] = "203.0.113.0/24" };
        using (var scraper = WithRemoteAddress(IPAddress.Parse("203.0.113.9"), settings))
        {
            using var response = await scraper.CreateClient().GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // An IPv4 client seen through a dual-stack socket (::ffff:a.b.c.d) is judged by its IPv4 address.
        using (var mapped = WithRemoteAddress(IPAddress.Parse("203.0.113.9").MapToIPv6(), settings))
        {
            using var response = await mapped.CreateClient().GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var other = WithRemoteAddress(IPAddress.Parse("198.51.100.7"), settings);
        using var refused = await other.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Fact]
    public async Task WithAMetricsPortTheEndpointIsServedOnlyThere()
    {
        var settings = new Dictionary<string, string?> { ["Metrics:Port"] = "9464" };
        using var factory = WithRemoteAddress(IPAddress.Loopback, settings);

        using var onAppPort = await factory.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, onAppPort.StatusCode);

        var client = factory.CreateClient();
        client.BaseAddress = new Uri("http://localhost:9464");
        using var onMetricsPort = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, onMetricsPort.StatusCode);
    }

    [Fact]
    public void ANetworkThatIsNotCidrStopsTheStartNamingTheKey()
    {
        var settings = new Dictionary<string, string?> { ["Metrics:AllowedNetworks:0"] = "everyone" };
        using var factory = WithRemoteAddress(IPAddress.Loopback, settings);

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Metrics:AllowedNetworks", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("'everyone'", error.ToString(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string[]> Directives(string policy) =>
        policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(d => d[0], d => d[1..]);

    /// <summary>The app as a client at <paramref name="address"/> sees it (the test server has no sockets).</summary>
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> WithRemoteAddress(IPAddress address, IDictionary<string, string?>? settings = null) =>
        app.WithWebHostBuilder(builder =>
        {
            if (settings is not null)
            {
                foreach (var (key, value) in settings) builder.UseSetting(key, value);
            }
            builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new RemoteAddress(address)));
        });

    private sealed class RemoteAddress(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = address;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
