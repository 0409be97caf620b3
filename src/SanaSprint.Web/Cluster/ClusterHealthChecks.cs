using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Cluster.Redis;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// What <c>/healthz</c> reports on a node of a deployment besides the single process's checks: <c>redis</c>
/// (<see cref="RedisHealthCheck"/>: the cluster's Redis answers a ping, the room store writes) and <c>cluster</c> (this silo is active in membership, with the count of active silos per role;
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
        services.AddHealthChecks()
            .AddRedisCheck()
            .AddCheck<MembershipCheck>("cluster");
        return services;
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
