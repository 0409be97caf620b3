using SanaSprint.LocalCluster;

namespace SanaSprint.Cluster.Tests;

public sealed class LoadBalancerTests
{
    [Fact]
    public void OneRouteOverEveryWebNodeWithCookieAffinityAndHealthChecks()
    {
        var (routes, clusters) = LoadBalancer.Configuration(["http://127.0.0.1:5101", "http://127.0.0.1:5102"]);

        var route = Assert.Single(routes);
        var cluster = Assert.Single(clusters);
        Assert.Equal(cluster.ClusterId, route.ClusterId);
        Assert.Equal("{**catch-all}", route.Match.Path);
        Assert.Equal(["http://127.0.0.1:5101", "http://127.0.0.1:5102"], cluster.Destinations!.Values.Select(d => d.Address));
        Assert.True(cluster.SessionAffinity!.Enabled);
        Assert.Equal("Cookie", cluster.SessionAffinity.Policy);
        Assert.Equal("Redistribute", cluster.SessionAffinity.FailurePolicy);
        Assert.Equal("/healthz", cluster.HealthCheck!.Active!.Path);
        Assert.True(cluster.HealthCheck.Active.Enabled);
        Assert.True(cluster.HealthCheck.Passive!.Enabled);
    }

    [Fact]
    public async Task ProxiesToALiveNodeAndPinsTheBrowserToIt()
    {
        await using var node = await EchoNode.StartAsync("node-a");
        await using var proxy = LoadBalancer.Build(0, [node.Url]);
        await proxy.StartAsync();
        var address = proxy.Urls.First();
        using var handler = new HttpClientHandler { UseCookies = true };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(address) };

        using var first = await http.GetAsync("/who");
        using var second = await http.GetAsync("/who");

        Assert.Equal("node-a", await first.Content.ReadAsStringAsync());
        Assert.Equal("node-a", await second.Content.ReadAsStringAsync());
        Assert.Contains(handler.CookieContainer.GetCookies(new Uri(address)), c => c.Name == LoadBalancer.AffinityCookie);
        await proxy.StopAsync();
    }
}
