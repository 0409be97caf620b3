using System.ComponentModel.DataAnnotations;

namespace SanaSprint.Web.Cluster;

/// <summary>A GPU node's capacity (configuration section <c>Gpu</c>).</summary>
public sealed class GpuOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Gpu";

    /// <summary>Rooms one GPU process renders at most; above it, new rooms go elsewhere and idle rooms are shed.</summary>
    [Range(1, 10_000)]
    public int MaxRooms { get; set; } = 64;
}
