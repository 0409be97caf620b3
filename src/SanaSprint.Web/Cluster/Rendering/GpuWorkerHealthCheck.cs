using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>Healthy once the model is warm and the silo is an active member of the cluster; unhealthy (with what it waits for) before.</summary>
/// <param name="gate">Whether the model is warm.</param>
/// <param name="membership">This silo's membership status.</param>
/// <param name="source">The rooms it renders.</param>
internal sealed class GpuWorkerHealthCheck(GpuWarmupGate gate, ISiloStatusOracle membership, ClusterRenderSource source) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentStatus;
        return Task.FromResult(
            !gate.IsWarm ? HealthCheckResult.Unhealthy("Warming the model; the GPU node joins the cluster after.")
            : status != SiloStatus.Active ? HealthCheckResult.Unhealthy($"Cluster membership: {status}.")
            : HealthCheckResult.Healthy($"Active in the cluster, rendering {source.Renderers} rooms."));
    }
}
