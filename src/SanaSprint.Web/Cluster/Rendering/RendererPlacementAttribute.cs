using Orleans.Placement;

namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>Marks a grain class placed by <see cref="RendererPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RendererPlacementAttribute() : PlacementAttribute(RendererPlacement.Instance);
