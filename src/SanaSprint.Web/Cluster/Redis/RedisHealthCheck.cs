using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace SanaSprint.Web.Cluster.Redis;

/// <summary>
/// <c>/healthz</c>'s Redis entry: healthy when Redis answers <c>PING</c> and the room store's last write succeeded; else the
/// registration's failure status (degraded: pages and rooms already active keep working, so a load balancer must not take
/// the node out), with the reason, when Redis does not answer or a room write failed (its changes stay queued and are retried).
/// </summary>
/// <param name="redis">The process's Redis connection.</param>
/// <param name="services">Where the room store is found, on nodes that hold rooms.</param>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis, IServiceProvider services) : IHealthCheck
{
    /// <summary>The check's name in <c>/healthz</c>.</summary>
    public const string Name = "redis";

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TimeSpan latency;
        try
        {
            latency = await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Redis ({string.Join(", ", redis.GetEndPoints().Select(e => e.ToString()))}) does not answer: {ex.Message}", ex);
        }
        var store = services.GetService<RedisRoomStore>();
        if (store?.LastFailure is { } failure) return new HealthCheckResult(context.Registration.FailureStatus, failure);
        var rooms = store is null ? "" : $"; {store.Count} rooms active here, {store.PendingRooms} waiting to be written";
        return HealthCheckResult.Healthy($"Redis answers PING in {latency.TotalMilliseconds:F1} ms{rooms}");
    }
}
