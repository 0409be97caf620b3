namespace SanaSprint.Web.Cluster;

/// <summary>
/// Renews this web node's room subscriptions as soon as a silo leaves the cluster. A silo's death deactivates the grains
/// whose directory entries it held (Orleans' default grain directory), so without this a room grain would stay
/// inactive, and its newest revision unrendered, until the next periodic renewal; the renewal re-activates it, and an
/// activation renders the newest revision when no frame of it was kept.
/// </summary>
/// <param name="membership">The cluster's membership.</param>
/// <param name="directory">This node's room directory.</param>
/// <param name="logger">Logger.</param>
public sealed partial class MembershipRenewal(IClusterMembershipService membership, OrleansRoomDirectory directory, ILogger<MembershipRenewal> logger)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dead = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                var newlyDead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress)).ToList();
                if (newlyDead.Count == 0) continue;
                Log.SiloLeft(logger, string.Join(", ", newlyDead.Select(m => m.Name)));
                await directory.RenewAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Silo(s) {Silos} left the cluster; renewing this node's room subscriptions now", EventName = "SiloLeft")]
        public static partial void SiloLeft(ILogger logger, string silos);
    }
}
