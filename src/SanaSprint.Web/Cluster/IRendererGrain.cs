namespace SanaSprint.Web.Cluster;

/// <summary>
/// A room's renderer (keyed by room id), on a GPU silo chosen by load. The room grain tells it of each new revision; the
/// renderer pulls the state (<see cref="IRoomRenderFeedGrain.GetRenderStateAsync"/>) when its GPU process's scheduler takes
/// the room, so a burst of revisions costs one render (latest wins).
/// </summary>
public interface IRendererGrain : IGrainWithStringKey
{
    /// <summary>The room reached <paramref name="revision"/>; render it (or a newer one) when the scheduler gets to it.</summary>
    /// <param name="revision">The room's newest revision.</param>
    Task RevisionChangedAsync(long revision);

    /// <summary>The room is gone or idle: forget it and free its place on this GPU.</summary>
    Task ReleaseAsync();
}
