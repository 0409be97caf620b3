using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Rooms;

/// <summary>The room rules on a bare <see cref="Room"/>: no directory, no store, no lock.</summary>
public sealed class RoomEditorTests
{
    private readonly ManualClock _time = new();

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(_ticks);

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private RoomEditor Editor(Action<RoomOptions>? configure = null, IModelInfo? model = null, IGalleryStore? gallery = null)
    {
        var options = new RoomOptions();
        configure?.Invoke(options);
        return new RoomEditor(options, _time, model, gallery);
    }

    private static RoomCaller Join(RoomEditor editor, Room room, string session, string name = "ann")
    {
        var (joining, _) = editor.Reserve(room, session, name);
        var (view, _) = editor.Admit(room, joining);
        return new RoomCaller(room.Id, view.ParticipantId, session);
    }

    private static Room NewRoom(RoomEditor editor) => editor.CreateRoom(RoomEditor.NewRoomId());

    [Fact]
    public void ANewRoomHasTheDefaultsAFreshSeedAndRecordsItsCreation()
    {
        var editor = Editor(o => { o.DefaultPrompt = "a boat"; o.DefaultSteps = 3; });

        var room = NewRoom(editor);

        Assert.Equal(("a boat", 3, 0L), (room.Prompt, room.Settings.Steps, room.Revision));
        Assert.InRange(room.Settings.Seed, 0, RoomRules.NewSeedLimit - 1);
        Assert.Equal([new RoomChange(RoomChangeKind.Created)], room.TakeChanges());
        Assert.Empty(room.TakeChanges());
    }

    [Fact]
    public void EachChangeToWhoIsPresentCountsAndViewsAndPresenceEventsCarryTheCount()
    {
        var editor = Editor();
        var room = NewRoom(editor);

        var (annJoining, _) = editor.Reserve(room, "c1", "ann");
        var (annView, annJoined) = editor.Admit(room, annJoining);
        var (bobJoining, _) = editor.Reserve(room, "c2", "bob");
        var (_, bobJoined) = editor.Admit(room, bobJoining);
        // Ann rejoins after a reconnect: not present until admitted again, so a view taken meanwhile is a newer list.
        var (again, _) = editor.Reserve(room, "c3", "anna", annJoining.Id, annView.RejoinToken);
        var between = editor.View(room, "");
        var (_, annBack) = editor.Admit(room, again);
        var bobLeft = editor.Leave(room, bobJoining.Id, "c2");

        Assert.Equal((1L, 1L, 2L), (annView.PresenceVersion, annJoined.PresenceVersion, bobJoined.PresenceVersion));
        Assert.Equal(3L, between.PresenceVersion);
        Assert.Equal(["bob"], between.Participants.Select(p => p.DisplayName));
        Assert.Equal((4L, 5L), (annBack.PresenceVersion, bobLeft!.PresenceVersion));
        Assert.Equal(["anna"], bobLeft.Present.Select(p => p.DisplayName));
        Assert.Null(editor.Leave(room, annJoining.Id, "c1")); // Ann's old session is no longer hers: no change, no count
        Assert.Equal(5L, editor.View(room, "").PresenceVersion);
    }

    [Fact]
    public void EachChangeReturnsItsEventAtTheNewRevisionAndRecordsWhatTheStoreMustWrite()
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "c1");
        room.TakeChanges();

        var begun = editor.BeginStroke(room, ann, "s", "#AABBCC", 3);
        var appended = editor.AppendPoints(room, ann, "s", [new(1, 2, 0.5f)]);
        var ended = editor.EndStroke(room, ann, "s");

        Assert.Equal(new StrokeBegun(room.Id, 1, "s", ann.ParticipantId, "#aabbcc", 3), begun);
        Assert.Equal((2L, "s"), (appended.Revision, appended.StrokeId));
        Assert.Equal(new StrokeEnded(room.Id, 3, "s"), ended);
        Assert.Equal(
            [new RoomChange(RoomChangeKind.StrokeBegun, "s"), new RoomChange(RoomChangeKind.PointsAppended, "s"), new RoomChange(RoomChangeKind.StrokeEnded, "s")],
            room.TakeChanges());
    }

    [Fact]
    public void ARefusedChangeLeavesTheRoomAndItsRecordAsTheyWere()
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "c1");
        room.TakeChanges();

        var ex = Assert.Throws<RoomException>(() => editor.SetSettings(room, ann, room.Settings with { Steps = 9 }));

        Assert.Equal(RoomErrorCodes.InvalidArgument, ex.Code);
        Assert.Equal(0, room.Revision);
        Assert.Empty(room.TakeChanges());
    }

    [Fact]
    public void ACallerWhoIsNotInTheRoomIsNotJoined()
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "c1");
        editor.Leave(room, ann.ParticipantId, "c1");

        Assert.Equal(RoomErrorCodes.NotJoined, Assert.Throws<RoomException>(() => editor.Clear(room, ann)).Code);
        Assert.Equal(RoomErrorCodes.NotJoined, Assert.Throws<RoomException>(() => editor.Undo(room, new RoomCaller(room.Id, "p99"))).Code);
    }

    [Fact]
    public void APresetAppliesItsSettingsAndSubjectAsOneRevision()
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "c1");
        var settings = room.Settings with { PresetId = "ink-sketch", Seed = 99, SeedLocked = true };

        var (changed, prompt) = editor.ApplyPreset(room, ann, settings, "a heron");

        Assert.Equal(1, room.Revision);
        Assert.Equal((1L, 1L), (changed.Revision, prompt!.Revision));
        Assert.Equal(("a heron", settings), (room.Prompt, room.Settings)); // the locked seed survives the prompt change
        Assert.Null(editor.ApplyPreset(room, ann, settings, "a heron").Prompt); // the same subject again changes no prompt
    }

    [Fact]
    public void APresetWhoseSubjectIsRefusedChangesNothing()
    {
        var editor = Editor(o => o.MaxPromptLength = 5);
        var room = NewRoom(editor);
        var ann = Join(editor, room, "c1");
        var before = room.Settings;

        Assert.Throws<RoomException>(() => editor.ApplyPreset(room, ann, before with { PresetId = "ink-sketch" }, "far too long"));

        Assert.Equal((before, 0L), (room.Settings, room.Revision));
    }

    [Fact]
    public void TheRenderStateCarriesTheRevisionsAgeAndTheComposedPrompt()
    {
        var gallery = new InMemoryGalleryStore(PresetCatalog.LoadDefault(), TimeProvider.System);
        var editor = Editor(gallery: gallery);
        var room = NewRoom(editor);
        var ann = Join(editor, room, "c1");
        editor.SetSettings(room, ann, room.Settings with { PresetId = "cinematic" });
        editor.SetPrompt(room, ann, "a lighthouse");
        _time.Advance(TimeSpan.FromMilliseconds(250));

        var state = editor.RenderState(room);

        Assert.Equal(TimeSpan.FromMilliseconds(250), state.RevisionAge);
        Assert.Equal("a lighthouse", state.Prompt);
        Assert.Equal(gallery.ComposePrompt("a lighthouse", "cinematic"), state.ComposedPrompt);
        Assert.NotEqual(state.Prompt, state.ComposedPrompt);
    }

    [Fact]
    public void CursorsAreThrottledOnTheEditorsClock()
    {
        var editor = Editor(o => o.CursorInterval = TimeSpan.FromMilliseconds(30));
        var room = NewRoom(editor);
        var ann = Join(editor, room, "c1");

        Assert.NotNull(editor.Cursor(room, ann, 1, 1));
        Assert.Null(editor.Cursor(room, ann, 2, 2));
        _time.Advance(TimeSpan.FromMilliseconds(30));
        Assert.NotNull(editor.Cursor(room, ann, 3, 3));
        Assert.Equal(0, room.Revision); // presence only
    }

    [Fact]
    public void AnOlderFrameNeverReplacesANewerOne()
    {
        var editor = Editor();
        var room = NewRoom(editor);
        FrameMessage Frame(long revision) => new(revision, [1], "image/jpeg", 8, 8, 2, 1, "p", "m", false, new FrameTimings(0, 0, 0, 0, [], 0, 0, 0, 0, 1));

        Assert.True(RoomEditor.SetLastFrame(room, Frame(5)));
        Assert.False(RoomEditor.SetLastFrame(room, Frame(4)));
        Assert.Equal(5, room.LastFrame!.Revision);
    }

    [Fact]
    public void TheUndoHistoryIsBoundedAndAClearThatBecomesPermanentDropsItsStrokes()
    {
        var editor = Editor(o => o.MaxUndoDepth = 2);
        var room = NewRoom(editor);
        var ann = Join(editor, room, "c1");
        editor.BeginStroke(room, ann, "a", "#000000", 2);
        editor.Clear(room, ann);
        editor.BeginStroke(room, ann, "b", "#000000", 2);
        editor.BeginStroke(room, ann, "c", "#000000", 2); // the clear leaves the history: "a" can never come back

        Assert.Equal(["b", "c"], editor.View(room, "").Strokes.Select(s => s.Id));
        Assert.Contains(new RoomChange(RoomChangeKind.StrokesPurged), room.TakeChanges());
        Assert.NotNull(editor.Undo(room, ann));
        Assert.NotNull(editor.Undo(room, ann));
        Assert.Null(editor.Undo(room, ann));
    }
}
