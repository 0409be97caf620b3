using SanaSprint.Web.Rooms;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>
/// Both ends of the stroke delta between a room and its renderer on another host: the room sends only the strokes above
/// the ended ones the renderer already holds (<see cref="Delta"/>), and the renderer rebuilds the room's visible strokes
/// from its held list and that delta (<see cref="Merge"/>). The rendered strokes below the first stroke still being drawn
/// never change while the room's stroke generation stays the same (the generation is bumped whenever a stroke below the top
/// changes: undo, redo, clear, purge), so the renderer keeps that prefix until the generation moves, and then everything
/// is sent again.
/// </summary>
public static class RenderStrokeSync
{
    /// <summary>
    /// How many of a room's rendered strokes, from the bottom, can no longer change while the stroke generation stays: the
    /// visible strokes with points below the first visible stroke still being drawn. A stroke being drawn that has no points
    /// yet is not rendered, but it still ends the prefix: once it gets points it appears below the strokes drawn after it.
    /// </summary>
    /// <param name="strokes">The room's strokes in stacking order, bottom first (visible or not).</param>
    /// <returns>The length of the stable prefix of the rendered strokes.</returns>
    public static int StableStrokes(IEnumerable<Stroke> strokes)
    {
        ArgumentNullException.ThrowIfNull(strokes);
        var n = 0;
        foreach (var stroke in strokes)
        {
            if (!stroke.Visible) continue;
            if (!stroke.Ended) break;
            if (stroke.Points.Count > 0) n++;
        }
        return n;
    }

    /// <summary>
    /// The room's side: what a renderer holding <paramref name="known"/> needs to draw <paramref name="state"/>. It keeps its
    /// held strokes when the generation is the same and the room's stable prefix still covers them; otherwise it gets every
    /// stroke.
    /// </summary>
    /// <param name="state">The room's render state now.</param>
    /// <param name="generation">The room's stroke generation now (at least 1).</param>
    /// <param name="stableStrokes">The room's stable prefix now (<see cref="StableStrokes"/>).</param>
    /// <param name="known">What the renderer holds.</param>
    /// <returns>The delta.</returns>
    public static RenderStateDelta Delta(RoomRenderState state, long generation, int stableStrokes, RenderStrokePrefix known)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(known);
        ArgumentOutOfRangeException.ThrowIfLessThan(generation, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(stableStrokes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stableStrokes, state.Strokes.Count);
        var kept = known.Generation == generation && known.EndedStrokes >= 0 && known.EndedStrokes <= stableStrokes ? known.EndedStrokes : 0;
        return new RenderStateDelta(state.RoomId, state.Revision, state.RevisionAge, generation, kept, stableStrokes,
            [.. state.Strokes.Skip(kept)], state.Prompt, state.ComposedPrompt, state.Settings, state.CanvasWidth, state.CanvasHeight);
    }

    /// <summary>
    /// The renderer's side: the room's visible strokes from the renderer's <paramref name="held"/> list and the room's
    /// <paramref name="delta"/> (the first <see cref="RenderStateDelta.KeptStrokes"/> held strokes, then the delta's), and the
    /// prefix to ask with next time.
    /// </summary>
    /// <param name="held">The strokes the renderer holds, bottom to top (from its last merge).</param>
    /// <param name="delta">What the room sent for the prefix the renderer asked with.</param>
    /// <returns>The strokes and the next prefix, or null when the delta does not fit what is held (the renderer then asks
    /// again with <see cref="RenderStrokePrefix.None"/>).</returns>
    public static (IReadOnlyList<StrokeSnapshot> Strokes, RenderStrokePrefix Prefix)? Merge(IReadOnlyList<StrokeSnapshot> held, RenderStateDelta delta)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(delta);
        if (delta.KeptStrokes < 0 || delta.KeptStrokes > held.Count || delta.Strokes is null) return null;
        var strokes = new List<StrokeSnapshot>(delta.KeptStrokes + delta.Strokes.Count);
        for (var i = 0; i < delta.KeptStrokes; i++)
        {
            // Only ended strokes may be kept: they are the ones that never change within a generation.
            if (!held[i].Ended) return null;
            strokes.Add(held[i]);
        }
        strokes.AddRange(delta.Strokes);
        if (delta.EndedStrokes < 0 || delta.EndedStrokes > strokes.Count) return null;
        return (strokes, new RenderStrokePrefix(delta.Generation, delta.EndedStrokes));
    }

    /// <summary>The render state a merge describes: the delta's room, revision, prompt and settings with the merged strokes.</summary>
    /// <param name="delta">The room's delta.</param>
    /// <param name="strokes">The merged strokes (<see cref="Merge"/>).</param>
    /// <returns>The state, as the room would produce it locally.</returns>
    public static RoomRenderState ToState(RenderStateDelta delta, IReadOnlyList<StrokeSnapshot> strokes)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentNullException.ThrowIfNull(strokes);
        return new RoomRenderState(delta.RoomId, delta.Revision, delta.RevisionAge, strokes, delta.Prompt, delta.ComposedPrompt,
            delta.Settings, delta.CanvasWidth, delta.CanvasHeight);
    }
}
