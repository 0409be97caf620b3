using Microsoft.Extensions.Time.Testing;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Rooms;

/// <summary>The room rules on a bare <see cref="Room"/>: no directory, no store, no lock.</summary>
public sealed class RoomEditorTests
{
    // A clock that moves only when told.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

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

    [Theory]
    [InlineData("#123456\n")]
    [InlineData("#123456\r\n")]
    public void AColourWithATrailingNewLineIsRefused(string colour)
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "s1");

        Assert.Equal(RoomErrorCodes.InvalidArgument, Assert.Throws<RoomException>(() => editor.BeginStroke(room, ann, "ok", colour, 2f)).Code);
        editor.BeginStroke(room, ann, "ok", "#123456", 2f); // the same colour without the new line is fine
    }

    [Theory]
    [InlineData("abc\n")]
    [InlineData("abc\r")]
    public void AStrokeIdWithATrailingNewLineIsRefused(string strokeId)
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "s1");

        Assert.Equal(RoomErrorCodes.InvalidArgument, Assert.Throws<RoomException>(() => editor.BeginStroke(room, ann, strokeId, "#000000", 2f)).Code);
        Assert.Empty(room.Strokes);
    }

    [Fact]
    public void APresetIdOrRoomIdWithATrailingNewLineIsRefusedAndANameIsStoredWithoutIt()
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "s1");

        Assert.Throws<RoomException>(() => editor.SetSettings(room, ann, room.Settings with { PresetId = "watercolour\n" }));
        Assert.False(RoomEditor.IsRoomId(RoomEditor.NewRoomId() + "\n"));
        // Display names are trimmed of surrounding white space (a new line included) before they are checked and kept.
        Assert.Equal("Alice", editor.CheckDisplayName("Alice\n"));
        Assert.Throws<RoomException>(() => editor.CheckDisplayName("Al\nice"));
        Assert.Throws<RoomException>(() => editor.CheckDisplayName("Bob\u202E"));
    }

    [Theory]
    [InlineData("next\u0085line")]   // C1: NEL
    [InlineData("csi\u009b31m")]     // C1: CSI
    [InlineData("\u202Eevil")]       // right-to-left override
    [InlineData("a\u202Ab")]         // left-to-right embedding
    [InlineData("x\u2066y\u2069")]    // left-to-right isolate … pop directional isolate
    [InlineData("bell\u0007")]       // C0
    public void APromptWithAControlOrBidiOverrideCharacterIsRefusedAndChangesNothing(string prompt)
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "s1");
        var before = (room.Prompt, room.Revision);

        var ex = Assert.Throws<RoomException>(() => editor.SetPrompt(room, ann, prompt));

        Assert.Equal(RoomErrorCodes.InvalidArgument, ex.Code);
        Assert.Contains("U+", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, (room.Prompt, room.Revision));
    }

    [Theory]
    [InlineData("a family \U0001F468\u200D\U0001F469\u200D\U0001F467 at the beach")] // zero-width joiners
    [InlineData("a red heart \u2764\uFE0F")]                                        // variation selector
    [InlineData("two lines\nand a\ttab")]
    [InlineData("مرحبا hello")]                                                     // right-to-left text itself
    public void APromptWithEmojiJoinersNewLinesOrRightToLeftTextIsAccepted(string prompt)
    {
        var editor = Editor();
        var room = NewRoom(editor);
        var ann = Join(editor, room, "s1");

        editor.SetPrompt(room, ann, prompt);

        Assert.Equal(prompt, room.Prompt);
    }

    [Fact]
    public void ARoomRefusesPointsBeyondItsTotalAndKeepsWhatItHad()
    {
        var editor = Editor(o => { o.MaxPointsPerRoom = 10; o.MaxPointsPerAppend = 8; });
        var room = NewRoom(editor);
        var ann = Join(editor, room, "s1");
        CanvasPoint[] Points(int n) => [.. Enumerable.Range(0, n).Select(i => new CanvasPoint(i, i, 0.5f))];
        editor.BeginStroke(room, ann, "a", "#000000", 2f);
        editor.AppendPoints(room, ann, "a", Points(6));
        editor.EndStroke(room, ann, "a");
        editor.BeginStroke(room, ann, "b", "#000000", 2f);
        editor.AppendPoints(room, ann, "b", Points(4)); // 10 in all: at the bound
        var revision = room.Revision;

        var ex = Assert.Throws<RoomException>(() => editor.AppendPoints(room, ann, "b", Points(1)));

        Assert.Equal(RoomErrorCodes.Limit, ex.Code);
        Assert.Contains("RoomOptions.MaxPointsPerRoom", ex.Message, StringComparison.Ordinal);
        Assert.Equal(revision, room.Revision);
        Assert.Equal(10, room.Strokes.Sum(s => s.Points.Count));
        // An undone stroke still counts while a redo can bring it back; a new action drops the redo, and its points go.
        editor.EndStroke(room, ann, "b");
        editor.Undo(room, ann);
        Assert.Equal(10, room.Strokes.Sum(s => s.Points.Count));
        editor.BeginStroke(room, ann, "c", "#000000", 2f);
        editor.AppendPoints(room, ann, "c", Points(4));
        Assert.Equal(10, room.Strokes.Sum(s => s.Points.Count));
    }

    [Fact]
    public void ARoomRefusesAChangeThatWouldMakeItsSnapshotLargerThanTheBound()
    {
        var editor = Editor(o => { o.MaxSnapshotBytes = 1024 + 4 * 64 + 2 * RoomEditor.SnapshotBytesPerStroke + 20 * RoomEditor.SnapshotBytesPerPoint; o.DefaultPrompt = new string('p', 64); });
        var room = NewRoom(editor);
        var ann = Join(editor, room, "s1");
        editor.BeginStroke(room, ann, "a", "#000000", 2f);
        editor.AppendPoints(room, ann, "a", [.. Enumerable.Range(0, 20).Select(i => new CanvasPoint(i, i, 0.5f))]);
        editor.EndStroke(room, ann, "a");
        editor.BeginStroke(room, ann, "b", "#000000", 2f); // the snapshot is now exactly at the bound

        var ex = Assert.Throws<RoomException>(() => editor.AppendPoints(room, ann, "b", [new CanvasPoint(1, 1, 0.5f)]));
        Assert.Contains("RoomOptions.MaxSnapshotBytes", ex.Message, StringComparison.Ordinal);
        Assert.Throws<RoomException>(() => editor.BeginStroke(room, ann, "c", "#000000", 2f));
        Assert.Equal(2, room.Strokes.Count);
    }

    [Fact]
    public void ASecondParticipantOfTheSameOrALookAlikeNameGetsASuffix()
    {
        var editor = Editor();
        var room = NewRoom(editor);
        Join(editor, room, "s1", "Ann");

        var (second, _) = editor.Reserve(room, "s2", "ann");
        var (third, _) = editor.Reserve(room, "s3", "\uFF21nn"); // a full-width A
        var (other, _) = editor.Reserve(room, "s4", "Bob");

        Assert.Equal("ann (2)", second.DisplayName);
        Assert.Equal("\uFF21nn (3)", third.DisplayName);
        Assert.Equal("Bob", other.DisplayName);
        // Each keeps a colour of its own, shown beside the name.
        Assert.Equal(4, room.Participants.Values.Select(p => p.Colour).Distinct().Count());
    }

    [Fact]
    public void ParticipantsWhoLeftAreDroppedAfterTheRejoinWindowSoChurnDoesNotPileUpRecords()
    {
        var editor = Editor(o => o.RejoinWindow = TimeSpan.FromMinutes(10));
        var room = NewRoom(editor);
        var stayer = Join(editor, room, "stay", "Stayer");
        for (var i = 0; i < 300; i++)
        {
            var churn = Join(editor, room, $"c{i}", "Churn");
            editor.Leave(room, churn.ParticipantId!, $"c{i}");
            _time.Advance(TimeSpan.FromSeconds(10));
        }

        // Only those who left within the last ten minutes are kept (60 of them), and the one who stayed.
        Assert.InRange(room.Participants.Count, 60, 62);
        Assert.Equal(room.Participants.Count, room.Histories.Count);
        Assert.Contains(stayer.ParticipantId!, room.Participants.Keys);

        // Within the window a departed participant rejoins as itself; after it, the same token makes a new participant.
        var recent = Join(editor, room, "r1", "Recent");
        var view = editor.View(room, recent.ParticipantId!);
        editor.Leave(room, recent.ParticipantId!, "r1");
        var (again, _) = editor.Reserve(room, "r2", "Recent", recent.ParticipantId, view.RejoinToken);
        Assert.Equal(recent.ParticipantId, again.Id);
        editor.Admit(room, again);
        editor.Leave(room, again.Id, "r2");
        _time.Advance(TimeSpan.FromMinutes(11));
        var (late, _) = editor.Reserve(room, "r3", "Recent", recent.ParticipantId, view.RejoinToken);
        Assert.NotEqual(recent.ParticipantId, late.Id);
    }
}

