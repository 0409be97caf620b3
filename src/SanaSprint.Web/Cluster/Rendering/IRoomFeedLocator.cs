namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>
/// Where a renderer reaches a room's side (<see cref="IRoomRenderFeedGrain"/>): in a cluster the room's grain; a test may
/// put a fake room in its place.
/// </summary>
public interface IRoomFeedLocator
{
    /// <summary>The room's feed.</summary>
    /// <param name="roomId">The room.</param>
    /// <returns>Its feed (a grain reference in a cluster).</returns>
    IRoomRenderFeedGrain Feed(string roomId);
}

/// <summary>The cluster's rooms: the room grain keyed by the room id.</summary>
/// <param name="grains">The grain factory.</param>
internal sealed class GrainRoomFeedLocator(IGrainFactory grains) : IRoomFeedLocator
{
    public IRoomRenderFeedGrain Feed(string roomId) => grains.GetGrain<IRoomRenderFeedGrain>(roomId);
}
