namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>
/// Places renderers on GPU silos only (silos whose name <see cref="ClusterRoles.HostsRenderers"/>), on the one with the
/// fewest renderers, never on one at <see cref="GpuOptions.MaxRooms"/> while another has room. With no GPU silo alive the
/// placement fails with <see cref="NoGpuWorkerException"/>.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class RendererPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static RendererPlacement Instance { get; } = new();
}
