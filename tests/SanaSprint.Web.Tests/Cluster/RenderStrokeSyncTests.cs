using CsCheck;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// The stroke delta between a room and a renderer on another host: whatever the room does between the renderer's reads
/// (strokes begun, drawn and ended by two people at once, undo and redo below the top, clear, reads skipped, the renderer
/// starting over), the renderer's merged strokes are exactly what the room would render locally, and it is sent only
/// what it does not hold.
/// </summary>
public sealed class RenderStrokeSyncTests
{
    /// <summary>A renderer's view of one room: what it holds and the prefix it asks with.</summary>
    private sealed class Renderer
    {
        public IReadOnlyList<StrokeSnapshot> Held = [];
        public RenderStrokePrefix Prefix = RenderStrokePrefix.None;

        public (RenderStateDelta Delta, string Strokes) Read(FakeRoomFeed room)
        {
            var delta = room.Delta(Prefix);
            var merged = RenderStrokeSync.Merge(Held, delta) ?? throw new InvalidOperationException("the room's delta did not fit");
            (Held, Prefix) = merged;
            return (delta, RoomRenderStateSnapshot.Describe(Held));
        }
    }

    private static string Local(FakeRoomFeed room) => room.LocalState().Strokes;

    private static CanvasPoint P(float x) => new(x, x / 2, 0.5f);

    [Fact]
    public void OnlyTheStrokesAboveTheHeldEndedOnesAreSentAndTheMergeIsTheRoomsList()
    {
        var room = new FakeRoomFeed();
        var renderer = new Renderer();
        room.Draw(room.Ann, "a1");
        room.Draw(room.Bob, "b1", 30);
        var first = renderer.Read(room);

        room.Draw(room.Ann, "a2", 50);
        room.Begin(room.Bob, "b2");
        room.Append(room.Bob, "b2", P(70));
        var second = renderer.Read(room);

        Assert.Equal((0, 2, 2), (first.Delta.KeptStrokes, first.Delta.Strokes.Count, first.Delta.EndedStrokes));
        // The two ended strokes stay; the new ended one and the one being drawn are sent.
        Assert.Equal((2, 2, 3), (second.Delta.KeptStrokes, second.Delta.Strokes.Count, second.Delta.EndedStrokes));
        Assert.Equal(["a2", "b2"], second.Delta.Strokes.Select(s => s.Id));
        Assert.Equal(Local(room), second.Strokes);
    }

    [Fact]
    public void AStrokeBeingDrawnIsSentAgainWithEachReadUntilItEnds()
    {
        var room = new FakeRoomFeed();
        var renderer = new Renderer();
        room.Begin(room.Ann, "a1");
        room.Append(room.Ann, "a1", P(1));
        var first = renderer.Read(room);
        room.Append(room.Ann, "a1", P(2), P(3));
        var second = renderer.Read(room);
        room.End(room.Ann, "a1");
        var third = renderer.Read(room);
        var fourth = renderer.Read(room);

        Assert.Equal([(0, 1, 0), (0, 1, 0), (0, 1, 1), (1, 0, 1)],
            new[] { first, second, third, fourth }.Select(r => (r.Delta.KeptStrokes, r.Delta.Strokes.Count, r.Delta.EndedStrokes)));
        Assert.Equal(3, second.Delta.Strokes[0].Points.Count);
        Assert.Equal(Local(room), fourth.Strokes);
    }

    [Fact]
    public void AStrokeBegunWithoutPointsBelowOthersKeepsTheStrokesAboveItFromBeingKept()
    {
        var room = new FakeRoomFeed();
        var renderer = new Renderer();
        room.Begin(room.Ann, "a1");            // no points yet: not rendered
        room.Draw(room.Bob, "b1");             // ended, above a1
        var first = renderer.Read(room);
        room.Append(room.Ann, "a1", P(40));    // a1 now renders below b1
        var second = renderer.Read(room);

        Assert.Equal((0, 0), (first.Delta.KeptStrokes, first.Delta.EndedStrokes));
        Assert.Equal(0, second.Delta.KeptStrokes);
        Assert.Equal(["a1", "b1"], renderer.Held.Select(s => s.Id));
        Assert.Equal(Local(room), second.Strokes);
    }

    [Fact]
    public void UndoBelowTheTopRedoAndClearChangeTheGenerationAndResendEverything()
    {
        var room = new FakeRoomFeed();
        var renderer = new Renderer();
        room.Draw(room.Ann, "a1");
        room.Draw(room.Bob, "b1", 30);
        room.Draw(room.Bob, "b2", 60);
        renderer.Read(room);

        room.Undo(room.Ann);                   // a1 is at the bottom, under bob's strokes
        var afterUndo = renderer.Read(room);
        room.Redo(room.Ann);
        var afterRedo = renderer.Read(room);
        room.Clear(room.Bob);
        var afterClear = renderer.Read(room);

        Assert.Equal(["b1", "b2"], afterUndo.Delta.Strokes.Select(s => s.Id));
        Assert.Equal([(0, 2L), (0, 3L), (0, 4L)],
            new[] { afterUndo, afterRedo, afterClear }.Select(r => (r.Delta.KeptStrokes, r.Delta.Generation)));
        Assert.Equal(["a1", "b1", "b2"], afterRedo.Delta.Strokes.Select(s => s.Id));
        Assert.Empty(renderer.Held);
        Assert.Equal(Local(room), afterClear.Strokes);
    }

    [Fact]
    public void ARendererThatAsksWithAStaleGenerationGetsEverything()
    {
        var room = new FakeRoomFeed();
        room.Draw(room.Ann, "a1");
        var state = room.Delta(new RenderStrokePrefix(room.Generation + 5, 1));

        Assert.Equal((0, 1), (state.KeptStrokes, state.Strokes.Count));
    }

    [Fact]
    public void ADeltaThatKeepsMoreThanIsHeldOrKeepsAStrokeBeingDrawnDoesNotMerge()
    {
        var room = new FakeRoomFeed();
        room.Begin(room.Ann, "a1");
        room.Append(room.Ann, "a1", P(1));
        room.Draw(room.Bob, "b1");
        var full = room.Delta(RenderStrokePrefix.None);
        var held = RenderStrokeSync.Merge([], full)!.Value.Strokes;

        Assert.Null(RenderStrokeSync.Merge([], full with { KeptStrokes = 1 }));
        Assert.Null(RenderStrokeSync.Merge(held, full with { KeptStrokes = 1, Strokes = [] })); // a1 is still being drawn
        Assert.Null(RenderStrokeSync.Merge([], full with { EndedStrokes = 3 }));
        Assert.Equal(2, RenderStrokeSync.Merge([], full)!.Value.Strokes.Count);
    }

    /// <summary>One step of the random walk: who acts, what they do, and whether the renderer reads (or starts over) after.</summary>
    private sealed record Step(int Who, int Op, int Points, int Read);

    [Fact]
    public void WhateverTheRoomDoesTheMergedStrokesAreWhatTheRoomRendersLocally()
    {
        var step = Gen.Select(Gen.Int[0, 1], Gen.Int[0, 7], Gen.Int[0, 3], Gen.Int[0, 9], (w, o, p, r) => new Step(w, o, p, r));
        step.Array[1, 60].Sample(steps =>
        {
            var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            var room = new FakeRoomFeed(time);
            var renderer = new Renderer();
            var drawing = new string?[2]; // each participant's stroke in progress
            var next = 0;
            foreach (var s in steps)
            {
                time.Advance(TimeSpan.FromSeconds(1)); // well inside every rate limit
                var who = s.Who == 0 ? room.Ann : room.Bob;
                var points = Enumerable.Range(0, s.Points + 1).Select(i => P(i + next)).ToArray();
                try
                {
                    Act(s, who, points);
                }
                catch (RoomException)
                {
                    // The stroke in progress was ended by the room meanwhile (an undo ends it): begin another next time.
                    drawing[s.Who] = null;
                }
                if (s.Read == 0) renderer = new Renderer(); // the renderer started over (re-activated elsewhere)
                if (s.Read < 5) continue;               // reads are skipped: latest wins
                var (_, merged) = renderer.Read(room);
                Assert.Equal(Local(room), merged);
            }
            var (_, last) = renderer.Read(room);
            Assert.Equal(Local(room), last);

            void Act(Step s, RoomCaller who, CanvasPoint[] points)
            {
                switch (s.Op)
                {
                    case 0 when drawing[s.Who] is null:
                        // Begun without points: not rendered until its first point.
                        room.Begin(who, drawing[s.Who] = $"s{next++}");
                        break;
                    case 0 or 1 or 2 when drawing[s.Who] is { } id:
                        room.Append(who, id, points);
                        break;
                    case 3 when drawing[s.Who] is { } id:
                        room.End(who, id);
                        drawing[s.Who] = null;
                        break;
                    case 4: room.Undo(who); break;
                    case 5: room.Redo(who); break;
                    case 6 when s.Points == 0: room.Clear(who); break;
                    case 7 when drawing[s.Who] is null:
                        room.Draw(who, $"s{next++}", next);
                        break;
                }
            }
        }, iter: 1000);
    }

    [Fact]
    public void TheMergedStateIsTheLocalStateWithPromptSettingsAndRevision()
    {
        var room = new FakeRoomFeed(prompt: "a red kite");
        room.Draw(room.Ann, "a1");
        var delta = room.Delta(RenderStrokePrefix.None);
        var merged = RenderStrokeSync.Merge([], delta)!.Value;

        Assert.Equal(room.LocalState(), RoomRenderStateSnapshot.Of(RenderStrokeSync.ToState(delta, merged.Strokes)));
    }
}
