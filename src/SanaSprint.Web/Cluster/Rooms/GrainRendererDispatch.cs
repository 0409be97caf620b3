namespace SanaSprint.Web.Cluster;

/// <summary>Dispatches to the room's <see cref="IRendererGrain"/> (keyed by room id), wherever Orleans placed it.</summary>
public sealed class GrainRendererDispatch : IRendererDispatch
{
    /// <inheritdoc />
    public Task RevisionChangedAsync(IGrainFactory grains, string roomId, long revision)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<IRendererGrain>(roomId).RevisionChangedAsync(revision);
    }
}
