using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Presets;
using StackExchange.Redis;

namespace SanaSprint.Web.Cluster.Redis;

/// <summary>Registers what a web node keeps in Redis: rooms, the gallery and the Data Protection key ring.</summary>
public static class RedisStoreExtensions
{
    /// <summary>The application name every node protects data under, so a cookie protected on one node is read on any other.</summary>
    public const string DataProtectionApplicationName = "SanaSprint";

    /// <summary>
    /// Registers, for the <c>web</c> and <c>all</c> modes: one <see cref="IConnectionMultiplexer"/> for the process (from
    /// <see cref="DeploymentOptions.Redis"/>; it keeps reconnecting while Redis is away), <see cref="RedisRoomStore"/> as the
    /// <see cref="IClusterRoomStore"/> (and as a hosted service: its write-behind loop and the final flush at shutdown),
    /// <see cref="RedisGalleryStore"/> as the <see cref="IGalleryStore"/> (replacing the SQLite or in-memory one, so call
    /// this after <c>AddSanaSprintPersistence</c>), and the Data Protection key ring in Redis under
    /// <c>{ClusterId}:data-protection-keys</c> with one application name for every node.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddRedisRoomStores(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddRedisConnection();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RedisRoomStore>(sp, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IClusterRoomStore>(sp => sp.GetRequiredService<RedisRoomStore>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisRoomStore>());
        services.RemoveAll<IGalleryStore>();
        services.AddSingleton<IGalleryStore>(sp => ActivatorUtilities.CreateInstance<RedisGalleryStore>(sp));
        services.AddDataProtection().SetApplicationName(DataProtectionApplicationName);
        // After every Configure (the SQLite persistence points the ring at its data folder): in a cluster, Redis holds it.
        services.AddOptions<KeyManagementOptions>().PostConfigure<IConnectionMultiplexer, IOptions<DeploymentOptions>>((keys, redis, deployment) =>
            keys.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), DataProtectionKey(deployment.Value)));
        return services;
    }

    /// <summary>
    /// Registers the process's one <see cref="IConnectionMultiplexer"/> from <see cref="DeploymentOptions.Redis"/> (unless one is
    /// registered already). Resolving it without that setting fails with an error naming <c>Deployment:Redis</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddRedisConnection(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IConnectionMultiplexer>(sp =>
        {
            var deployment = sp.GetRequiredService<IOptions<DeploymentOptions>>().Value;
            if (string.IsNullOrWhiteSpace(deployment.Redis))
                throw new InvalidOperationException($"`{DeploymentOptions.SectionName}:Redis` must name the Redis server (host:port) in mode '{deployment.Mode}'.");
            var options = ConfigurationOptions.Parse(deployment.Redis);
            // Start even while Redis is briefly away, and keep reconnecting: health checks report it meanwhile.
            options.AbortOnConnectFail = false;
            options.ClientName ??= $"sanasprint-{deployment.Mode.ToString().ToLowerInvariant()}";
            return ConnectionMultiplexer.Connect(options);
        });
        return services;
    }

    /// <summary>Adds <see cref="RedisHealthCheck"/> as <c>redis</c> to <c>/healthz</c> (and <see cref="AddRedisConnection"/>).</summary>
    /// <param name="builder">The health checks.</param>
    /// <returns>The same builder.</returns>
    public static IHealthChecksBuilder AddRedisCheck(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddRedisConnection();
        return builder.AddCheck<RedisHealthCheck>(RedisHealthCheck.Name, HealthStatus.Degraded);
    }

    /// <summary>The key the Data Protection key ring is kept under.</summary>
    /// <param name="deployment">The deployment.</param>
    public static RedisKey DataProtectionKey(DeploymentOptions deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return deployment.ClusterId + ":data-protection-keys";
    }
}
