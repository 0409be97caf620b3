using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Where the frame scheduler learns that rooms changed, reads what to render, and reports what it rendered. The scheduler
/// knows rooms only through this: in one process it is the room directory; a renderer on another host reads the same
/// state over the network.
/// </summary>
public interface IRenderSource
{
    /// <summary>Raised (outside any lock) with the room id after every revision bump.</summary>
    event Action<string>? RevisionChanged;

    /// <summary>What to render for a room now: its newest revision's strokes, prompt and settings.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The state, or null when the room does not exist.</returns>
    ValueTask<RoomRenderState?> GetRenderStateAsync(string roomId, CancellationToken cancellationToken = default);

    /// <summary>A frame of the room was rendered and sent; the room keeps its newest for joiners.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="frame">The frame as sent.</param>
    ValueTask FrameReadyAsync(string roomId, FrameMessage frame);

    /// <summary>A frame of the room could not be produced; the room's members were told.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="failure">What they were told.</param>
    ValueTask FrameFailedAsync(string roomId, FrameFailedMessage failure);
}

/// <summary>A copy of what the scheduler renders for one room at one revision.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Revision">The revision this state reflects.</param>
/// <param name="RevisionAge">How long ago that revision was made, when the state was read (a duration, so it keeps its
/// meaning on another host, where timestamps of this one mean nothing).</param>
/// <param name="Strokes">Visible strokes with points, bottom to top.</param>
/// <param name="Prompt">The room's prompt as typed.</param>
/// <param name="ComposedPrompt">The prompt the model sees: the room's prompt in its style preset's template.</param>
/// <param name="Settings">Settings.</param>
/// <param name="CanvasWidth">Canvas width in canvas units.</param>
/// <param name="CanvasHeight">Canvas height in canvas units.</param>
public sealed record RoomRenderState(string RoomId, long Revision, TimeSpan RevisionAge, IReadOnlyList<StrokeSnapshot> Strokes,
    string Prompt, string ComposedPrompt, FrameSettings Settings, int CanvasWidth, int CanvasHeight);
