using Yarp.ReverseProxy.Configuration;

namespace SanaSprint.LocalCluster;

/// <summary>
/// The local cluster's front door: a YARP reverse proxy over the web nodes with cookie affinity (a browser's page, its
/// Blazor circuit and its hub connection stay on one node), active health checks on <c>/healthz</c> and passive ones on
/// transport failures; when a node dies its browsers' affinity fails over to a healthy node (they reconnect and rejoin).
/// WebSockets pass through.
/// </summary>
public static class LoadBalancer
{
    /// <summary>The affinity cookie's name.</summary>
    public const string AffinityCookie = ".SanaSprint.Node";

    /// <summary>The route and cluster over the web nodes.</summary>
    /// <param name="webUrls">The web nodes' addresses.</param>
    /// <returns>The proxy configuration.</returns>
    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Configuration(IReadOnlyList<string> webUrls)
    {
        ArgumentNullException.ThrowIfNull(webUrls);
        var route = new RouteConfig { RouteId = "all", ClusterId = "web", Match = new RouteMatch { Path = "{**catch-all}" } };
        var cluster = new ClusterConfig
        {
            ClusterId = "web",
            LoadBalancingPolicy = "PowerOfTwoChoices",
            SessionAffinity = new SessionAffinityConfig
            {
                Enabled = true,
                Policy = "Cookie",
                FailurePolicy = "Redistribute",
                AffinityKeyName = AffinityCookie,
            },
            HealthCheck = new HealthCheckConfig
            {
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = TimeSpan.FromSeconds(1),
                    Timeout = TimeSpan.FromSeconds(1),
                    Policy = "ConsecutiveFailures",
                    Path = "/healthz",
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = "TransportFailureRate",
                    ReactivationPeriod = TimeSpan.FromSeconds(5),
                },
            },
            Destinations = webUrls.Select((url, i) => (url, i)).ToDictionary(x => $"web-{x.i + 1}", x => new DestinationConfig { Address = x.url }),
        };
        return ([route], [cluster]);
    }

    /// <summary>Builds the proxy, listening on 127.0.0.1:<paramref name="port"/> (0: a free port).</summary>
    /// <param name="port">The port.</param>
    /// <param name="webUrls">The web nodes' addresses.</param>
    /// <returns>The app, not started.</returns>
    public static WebApplication Build(int port, IReadOnlyList<string> webUrls)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var (routes, clusters) = Configuration(webUrls);
        builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
        var app = builder.Build();
        app.MapReverseProxy();
        return app;
    }
}
