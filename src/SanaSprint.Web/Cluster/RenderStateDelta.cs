using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// Which of a room's strokes a renderer already holds: the room's stroke generation when it read them (bumped whenever a
/// stroke below the top changes: undo, redo, clear, purge) and how many ended strokes it keeps from the bottom.
/// </summary>
/// <param name="Generation">The generation read last (0: none held).</param>
/// <param name="EndedStrokes">How many ended strokes, bottom first, it holds.</param>
[GenerateSerializer, Immutable]
public sealed record RenderStrokePrefix(long Generation, int EndedStrokes)
{
    /// <summary>Nothing held: the next read sends every stroke.</summary>
    public static RenderStrokePrefix None { get; } = new(0, 0);
}

/// <summary>
/// What a renderer needs for one frame, as a change from the strokes it holds: strokes are resolution-free and small, so a
/// renderer on another host keeps the bottom of the stack and receives only what is above it.
/// </summary>
/// <param name="RoomId">The room.</param>
/// <param name="Revision">The revision this state reflects.</param>
/// <param name="RevisionAge">How long ago that revision was made, when read.</param>
/// <param name="Generation">The room's stroke generation now.</param>
/// <param name="KeptStrokes">How many of the renderer's held strokes stay (the rest of its list is replaced by <paramref name="Strokes"/>).</param>
/// <param name="EndedStrokes">How many ended strokes, bottom first, the state holds in all (the renderer's next <see cref="RenderStrokePrefix"/>).</param>
/// <param name="Strokes">The visible strokes above the kept ones, bottom to top (ended, then in progress).</param>
/// <param name="Prompt">The room's prompt as typed.</param>
/// <param name="ComposedPrompt">The prompt the model sees.</param>
/// <param name="Settings">The room's settings.</param>
/// <param name="CanvasWidth">Canvas width in canvas units.</param>
/// <param name="CanvasHeight">Canvas height in canvas units.</param>
[GenerateSerializer, Immutable]
public sealed record RenderStateDelta(string RoomId, long Revision, TimeSpan RevisionAge, long Generation, int KeptStrokes,
    int EndedStrokes, IReadOnlyList<StrokeSnapshot> Strokes, string Prompt, string ComposedPrompt, FrameSettings Settings,
    int CanvasWidth, int CanvasHeight);
