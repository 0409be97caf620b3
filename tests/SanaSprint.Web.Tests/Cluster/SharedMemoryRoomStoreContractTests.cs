using SanaSprint.Web.Cluster;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>The in-process test cluster's store keeps the same contract as the Redis one (one backing, a store per simulated silo).</summary>
public sealed class SharedMemoryRoomStoreContractTests : ClusterRoomStoreContract
{
    private readonly SharedRoomBacking _backing = new();

    /// <inheritdoc />
    protected override IClusterRoomStore CreateStore() => new SharedMemoryRoomStore(_backing);
}
