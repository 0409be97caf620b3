using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// What <c>/healthz</c> reports on a node of a deployment besides the single process's checks: <c>redis</c> (the cluster's
/// Redis answers a ping) and <c>cluster</c> (this silo is active in membership, with the count of active silos per role;
/// degraded on a node hosting rooms while no silo hosting renderers is active: rooms then get no frames).
/// </summary>
public static class ClusterHealthChecks
{
    /// <summary>Adds the <c>redis</c> and <c>cluster</c> checks.</summary>
    /// <param name="services">The node's services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddClusterHealthChecks(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<RedisCheck>();
        services.AddHealthChecks()
            .AddCheck<RedisCheck>("redis")
            .AddCheck<MembershipCheck>("cluster");
        return services;
    }

    /// <summary>Pings Redis through the app's multiplexer when one is registered, else through one of its own (connected on first use).</summary>
    private sealed class RedisCheck(IServiceProvider services, IOptions<DeploymentOptions> options) : IHealthCheck, IAsyncDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private ConnectionMultiplexer? _own;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var redis = services.GetService<IConnectionMultiplexer>() ?? await OwnAsync();
                var latency = await redis.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:F1} ms.");
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy($"Redis (`Deployment:Redis`) does not answer: {ex.Message}", ex);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_own is not null) await _own.DisposeAsync();
            _gate.Dispose();
        }

        private async Task<IConnectionMultiplexer> OwnAsync()
        {
            await _gate.WaitAsync();
            try
            {
                if (_own is not null) return _own;
                var config = ConfigurationOptions.Parse(options.Value.Redis ?? "");
                config.AbortOnConnectFail = false;
                return _own = await ConnectionMultiplexer.ConnectAsync(config);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>This silo's membership status and the active silos per role.</summary>
    private sealed class MembershipCheck(IClusterMembershipService membership, ILocalSiloDetails silo, IOptions<DeploymentOptions> options) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var snapshot = membership.CurrentSnapshot;
            var active = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).ToList();
            var rooms = active.Count(m => ClusterRoles.HostsRooms(m.Name));
            var renderers = active.Count(m => ClusterRoles.HostsRenderers(m.Name));
            var data = new Dictionary<string, object> { ["silo"] = silo.Name, ["roomSilos"] = rooms, ["rendererSilos"] = renderers };
            var status = snapshot.GetSiloStatus(silo.SiloAddress);
            var summary = $"{silo.Name} is {status}; {rooms} silos host rooms, {renderers} host renderers.";
            var result = status != SiloStatus.Active ? HealthCheckResult.Unhealthy(summary, data: data)
                : options.Value.HostsRooms && renderers == 0 ? HealthCheckResult.Degraded($"{summary} {RoomGrain.NoGpuMessage}.", data: data)
                : HealthCheckResult.Healthy(summary, data);
            return Task.FromResult(result);
        }
    }
}
