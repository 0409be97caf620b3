namespace SanaSprint.Web.Cluster;

/// <summary>
/// How a room grain tells its renderer of a new revision: <see cref="GrainRendererDispatch"/> calls the room's
/// <see cref="IRendererGrain"/>; a test replaces it to watch the room's watchdog without a GPU silo.
/// </summary>
public interface IRendererDispatch
{
    /// <summary>Tells the room's renderer that the room reached <paramref name="revision"/>.</summary>
    /// <param name="grains">The calling grain's factory.</param>
    /// <param name="roomId">The room.</param>
    /// <param name="revision">The room's newest revision.</param>
    Task RevisionChangedAsync(IGrainFactory grains, string roomId, long revision);
}
