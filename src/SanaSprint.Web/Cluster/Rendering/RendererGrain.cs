namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>
/// A room's renderer on a GPU silo (keyed by room id, placed by <see cref="RendererPlacement"/>): it hands the room to this
/// silo's <see cref="ClusterRenderSource"/>, whose frame scheduler renders it. It holds no state of its own; an idle one is
/// collected after a few minutes, and the room's next revision places it again by load.
/// </summary>
/// <param name="source">This silo's rooms for the frame scheduler.</param>
[RendererPlacement]
[CollectionAgeLimit(Minutes = 2)]
internal sealed class RendererGrain(ClusterRenderSource source) : Grain, IRendererGrain
{
    private string RoomId => this.GetPrimaryKeyString();

    public Task RevisionChangedAsync(long revision)
    {
        var roomId = RoomId;
        var grains = GrainFactory;
        // Off the grain's scheduler: marking the room dirty may run the frame loop's code inline (pre-emption cancels the
        // run in flight), which must not continue on this activation's scheduler.
        return Task.Run(() => source.Notify(roomId, revision, () => grains.GetGrain<IRendererGrain>(roomId).ReleaseAsync()));
    }

    public Task ReleaseAsync()
    {
        source.Forget(RoomId);
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        source.Forget(RoomId);
        return Task.CompletedTask;
    }
}
