using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Redis;
using SanaSprint.Web.Presets;
using StackExchange.Redis;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>What <see cref="RedisStoreExtensions.AddRedisRoomStores"/> registers, resolved against a real Redis.</summary>
public sealed class RedisStoreExtensionsTests(RedisFixture redis) : IClassFixture<RedisFixture>, IDisposable
{
    private readonly string _clusterId = "di-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<ServiceProvider> _providers = [];

    private ServiceProvider Node(string? redisConfiguration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(PresetCatalog.LoadDefault());
        services.AddSingleton<IGalleryStore, InMemoryGalleryStore>(); // the single-process store it replaces
        services.Configure<DeploymentOptions>(o =>
        {
            o.Mode = DeploymentMode.Web;
            o.Redis = redisConfiguration;
            o.ClusterId = _clusterId;
        });
        services.AddRedisRoomStores();
        services.AddHealthChecks().AddRedisCheck();
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider;
    }

    [RedisFact]
    public async Task RegistersOneConnectionTheRedisStoresAndTheKeyRingInRedis()
    {
        var node = Node(redis.Server.Configuration);

        var store = Assert.IsType<RedisRoomStore>(node.GetRequiredService<IClusterRoomStore>());
        Assert.Contains(node.GetServices<IHostedService>(), s => ReferenceEquals(s, store));
        Assert.IsType<RedisGalleryStore>(Assert.Single(node.GetServices<IGalleryStore>()));
        Assert.Same(node.GetRequiredService<IConnectionMultiplexer>(), node.GetRequiredService<IConnectionMultiplexer>());
        Assert.IsType<RedisXmlRepository>(node.GetRequiredService<IOptions<KeyManagementOptions>>().Value.XmlRepository);

        // Data protected on one node is read on another: one key ring, under the cluster id.
        var secret = node.GetRequiredService<IDataProtectionProvider>().CreateProtector("owner").Protect("AnnsBrowserOwnerId0000");
        var other = Node(redis.Server.Configuration);
        Assert.Equal("AnnsBrowserOwnerId0000", other.GetRequiredService<IDataProtectionProvider>().CreateProtector("owner").Unprotect(secret));
        Assert.True(await node.GetRequiredService<IConnectionMultiplexer>().GetDatabase().KeyExistsAsync(_clusterId + ":data-protection-keys"));

        var health = await node.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Entries[RedisHealthCheck.Name].Status);
    }

    [RedisFact]
    public async Task TheHealthCheckIsUnhealthyWithTheReasonWhileRedisIsDown()
    {
        using var server = RedisServer.Start();
        var node = Node(server.Configuration);
        var health = node.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries[RedisHealthCheck.Name].Status);

        server.Kill();

        var entry = (await health.CheckHealthAsync()).Entries[RedisHealthCheck.Name];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains(server.EndPoint, entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutARedisSettingTheErrorNamesTheKey()
    {
        var node = Node(null);

        var ex = Assert.Throws<InvalidOperationException>(() => node.GetRequiredService<IClusterRoomStore>());

        Assert.Contains("`Deployment:Redis`", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var provider in _providers) provider.Dispose();
    }
}
