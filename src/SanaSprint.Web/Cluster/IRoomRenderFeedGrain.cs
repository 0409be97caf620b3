using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// The side of a room grain its renderer sees (keyed by room id): the renderer pulls what changed since the strokes it holds,
/// and hands back what it rendered. Part of <c>IRoomGrain</c>, which lives on a web silo.
/// </summary>
public interface IRoomRenderFeedGrain : IGrainWithStringKey
{
    /// <summary>What to render now, as a change from what the renderer holds.</summary>
    /// <param name="known">The renderer's stroke generation and how many of its strokes it holds (<see cref="RenderStateDelta"/>).</param>
    /// <returns>The delta, or null when the room does not exist.</returns>
    Task<RenderStateDelta?> GetRenderStateAsync(RenderStrokePrefix known);

    /// <summary>A frame was rendered; the room keeps its newest for joiners and sends it to every member on every web node.</summary>
    /// <param name="frame">The encoded frame.</param>
    Task FrameReadyAsync(FrameMessage frame);

    /// <summary>A frame could not be produced; every member on every web node is told.</summary>
    /// <param name="failure">What they are told.</param>
    Task FrameFailedAsync(FrameFailedMessage failure);
}
