using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

[Collection(SketchHubCollection.Name)]
public sealed class SketchHubTests(SketchHubFixture app)
{
    private static StrokePoint[] Line(int count, float x0 = 10, float y0 = 10) =>
        [.. Enumerable.Range(0, count).Select(i => new StrokePoint(x0 + i, y0 + i / 2f, 0.5f))];

    [Fact]
    public async Task StrokesReachTheOtherMemberAndNotOtherRooms()
    {
        var (_, room) = await app.RoomWithClientsAsync(2);
        var (_, other) = await app.RoomWithClientsAsync(2);

        await room[0].DrawAsync("s1", Line(5), Line(3, 100, 100));

        var ended = await room[1].WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "s1");
        var begun = Assert.Single(room[1].All<StrokeBegunMessage>(), m => m.StrokeId == "s1");
        Assert.Equal(room[0].Snapshot!.ParticipantId, begun.OwnerId);
        Assert.Equal([.. Line(5), .. Line(3, 100, 100)], room[1].All<PointsAppendedMessage>().Where(m => m.StrokeId == "s1").SelectMany(m => m.Points));
        Assert.True(ended.Revision > begun.Revision);
        // Sentinels drawn afterwards arrive after anything s1 could have caused on the same connection: the sender drew
        // s1 already and gets no echo of it; the other room hears nothing of it.
        await room[1].DrawAsync("after-s1", Line(1));
        await room[0].WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "after-s1");
        Assert.Equal(["after-s1"], room[0].All<StrokeBegunMessage>().Select(m => m.StrokeId));
        await other[1].DrawAsync("other-room", Line(1));
        await other[0].WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "other-room");
        Assert.Equal(["other-room"], other[0].All<StrokeBegunMessage>().Select(m => m.StrokeId));
        Assert.DoesNotContain(other[0].All<PointsAppendedMessage>(), m => m.StrokeId == "s1");
    }

    [Fact]
    public async Task LateJoinersSnapshotEqualsTheOthersState()
    {
        var (roomId, room) = await app.RoomWithClientsAsync(2);
        await room[0].DrawAsync("a", Line(4));
        await room[1].DrawAsync("b", Line(6, 200, 50));
        await room[0].Connection.InvokeAsync<long>("Undo"); // "a" hidden
        await room[1].Connection.InvokeAsync<long>("SetSettings", room[1].Snapshot!.Settings with { Steps = 3, PresetId = "anime" });
        await room[0].Connection.InvokeAsync<long>("BeginStroke", "c", "#ff0000", 8f);
        await room[0].Connection.InvokeAsync<long>("AppendPoints", "c", Line(2, 300, 300)); // in progress
        await room[0].WaitForAsync<FrameMessage>(f => f.Revision > 0);

        var late = await app.ConnectAsync();
        var snapshot = await late.JoinAsync(roomId, "late");

        Assert.Equal(["b", "c"], snapshot.Strokes.Select(s => s.Id));
        Assert.Equal(Line(6, 200, 50), snapshot.Strokes[0].Points);
        Assert.True(snapshot.Strokes[0].Ended);
        Assert.False(snapshot.Strokes[1].Ended);
        Assert.Equal(room[1].Snapshot!.ParticipantId, snapshot.Strokes[0].OwnerId);
        Assert.Equal(3, snapshot.Settings.Steps);
        Assert.Equal("anime", snapshot.Settings.PresetId);
        Assert.Equal("a test prompt", snapshot.Prompt);
        Assert.Equal(["user 0", "user 1", "late"], snapshot.Participants.Select(p => p.DisplayName));
        Assert.Equal(3, snapshot.Participants.Select(p => p.Colour).Distinct().Count());
        Assert.NotNull(snapshot.LastFrame);
        Assert.Equal("fake", snapshot.Model.ModelName);
        Assert.True(snapshot.Model.IsDemo);
        var expected = app.Rooms.GetSnapshot(roomId, snapshot.Model);
        Assert.Equal(expected.Revision, snapshot.Revision);
        // The others hear about the newcomer.
        var presence = await room[0].WaitForAsync<PresenceMessage>(p => p.Participant.DisplayName == "late");
        Assert.Equal(3, presence.Participants.Count);
    }

    [Fact]
    public async Task UndoAndRedoTouchOnlyTheCallersStrokes()
    {
        var (_, room) = await app.RoomWithClientsAsync(2);
        await room[0].DrawAsync("mine", Line(3));
        await room[1].DrawAsync("theirs", Line(3, 50, 50));

        await room[0].Connection.InvokeAsync<long>("Undo");
        var removed = await room[1].WaitForAsync<StrokesRemovedMessage>();
        Assert.Equal(["mine"], removed.StrokeIds);

        // Nothing more of the caller's to undo: the other's stroke stays (a sentinel cursor sent afterwards arrives after
        // anything the undo could have sent, and leaves the undo history alone).
        await room[0].Connection.InvokeAsync<long>("Undo");
        await room[0].Connection.InvokeAsync("Cursor", 7f, 7f);
        await room[1].WaitForAsync<CursorMessage>(m => m.X == 7f);
        Assert.Single(room[1].All<StrokesRemovedMessage>());

        await room[0].Connection.InvokeAsync<long>("Redo");
        var restored = await room[1].WaitForAsync<StrokesRestoredMessage>();
        Assert.Equal(["mine"], restored.Strokes.Select(s => s.Id));
        Assert.Equal(["mine", "theirs"], restored.Order);
    }

    [Fact]
    public async Task ClearIsUndoableByTheOneWhoCleared()
    {
        var (roomId, room) = await app.RoomWithClientsAsync(2);
        await room[0].DrawAsync("a", Line(3));
        await room[1].DrawAsync("b", Line(3, 40, 40));

        await room[1].Connection.InvokeAsync<long>("Clear");
        await room[0].WaitForAsync<ClearedMessage>();
        Assert.Empty(app.Rooms.GetSnapshot(roomId, SketchHub.DescribeModel(app.Generator.Info)).Strokes);

        await room[1].Connection.InvokeAsync<long>("Undo");
        var restored = await room[0].WaitForAsync<StrokesRestoredMessage>();
        Assert.Equal(["a", "b"], restored.Order);
    }

    [Fact]
    public async Task AFloodOfRevisionsYieldsAHandfulOfFramesEndingWithTheLastRevision()
    {
        var (_, room) = await app.RoomWithClientsAsync(2);
        var watcher = room[1];
        var clock = Stopwatch.StartNew();
        await room[0].Connection.InvokeAsync<long>("BeginStroke", "flood", "#000000", 3f);
        for (var i = 0; i < 198; i++)
        {
            await room[0].Connection.SendAsync("AppendPoints", "flood", Line(1, 10 + i, 10 + i));
            // Paced to 200 revisions in about 1 s on the clock, so a slow machine does not stretch the flood.
            var due = TimeSpan.FromMilliseconds(5 * (i + 1)) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
        }
        var last = await room[0].Connection.InvokeAsync<long>("EndStroke", "flood");

        var final = await watcher.WaitForAsync<FrameMessage>(f => f.Revision == last);
        var frames = watcher.All<FrameMessage>();
        // Latest wins: one model run at a time and most revisions are never rendered.
        Assert.InRange(frames.Count, 2, 200 / 4);
        Assert.Equal(frames.Select(f => f.Revision).Order(), frames.Select(f => f.Revision)); // never older after newer
        Assert.Equal(last, frames[^1].Revision);
        Assert.Equal("image/jpeg", final.ContentType);
        Assert.Equal([0xFF, 0xD8], final.Image[..2]);
        Assert.True(final.Timings.ServerMs >= final.Timings.ModelMs);
    }

    [Fact]
    public async Task AQuietRoomGetsOneRefinementFrameAtMoreSteps()
    {
        var (_, room) = await app.RoomWithClientsAsync(1);
        var last = await room[0].DrawAsync("r", Line(8));

        var refined = await room[0].WaitForAsync<FrameMessage>(f => f.IsRefinement);
        Assert.Equal(last, refined.Revision);
        Assert.Equal(4, refined.Steps);
        // A room's frames arrive in order: once the next revision's refinement is here, a second refinement of the first
        // revision would have arrived before it.
        var next = await room[0].DrawAsync("r2", Line(3, 200, 200));
        await room[0].WaitForAsync<FrameMessage>(f => f.IsRefinement && f.Revision == next);
        Assert.Equal([last, next], room[0].All<FrameMessage>().Where(f => f.IsRefinement).Select(f => f.Revision));
        Assert.All(room[0].All<FrameMessage>().Where(f => !f.IsRefinement), f => Assert.Equal(2, f.Steps));
    }

    [Fact]
    public async Task TheModelSeesThePromptWrappedInTheRoomsStylePreset()
    {
        var (_, room) = await app.RoomWithClientsAsync(1, "a lighthouse on a cliff");
        await room[0].Connection.InvokeAsync<long>("SetSettings", room[0].Snapshot!.Settings with { PresetId = "cinematic" });
        var last = await room[0].DrawAsync("p", Line(6));
        await room[0].WaitForAsync<FrameMessage>(f => f.Revision >= last);

        var prompts = app.Generator.Calls.SelectMany(c => c).Select(r => r.Prompt).ToList();
        Assert.Contains("cinematic film still of a lighthouse on a cliff, dramatic lighting, shallow depth of field, anamorphic lens, film grain, highly detailed", prompts);
        Assert.All(room[0].All<FrameMessage>(), f => Assert.Equal("a lighthouse on a cliff", f.Prompt));
    }

    [Fact]
    public async Task FramesOfOneRoomNeverReachAnother()
    {
        var (roomA, a) = await app.RoomWithClientsAsync(1, "prompt of room A");
        var (roomB, b) = await app.RoomWithClientsAsync(1, "prompt of room B");
        for (var i = 0; i < 5; i++)
        {
            await a[0].DrawAsync($"a{i}", Line(3, i * 10, 0));
            await b[0].DrawAsync($"b{i}", Line(3, 0, i * 10));
        }
        await a[0].WaitForAsync<FrameMessage>(f => f.IsRefinement);
        await b[0].WaitForAsync<FrameMessage>(f => f.IsRefinement);

        Assert.All(a[0].All<FrameMessage>(), f => Assert.Equal("prompt of room A", f.Prompt));
        Assert.All(b[0].All<FrameMessage>(), f => Assert.Equal("prompt of room B", f.Prompt));
        Assert.NotEqual(roomA, roomB);
    }

    [Fact]
    public async Task AGeneratorFaultYieldsAnErrorEventAndTheSchedulerKeepsServing()
    {
        var (_, healthy) = await app.RoomWithClientsAsync(1, "healthy room");
        var (_, broken) = await app.RoomWithClientsAsync(1, $"broken room {FakeImageGenerator.FaultMarker}");
        // Both dirty at once, so they are likely batched together: the fault must still hit one room only.
        var brokenRevision = await broken[0].DrawAsync("x", Line(3));
        await healthy[0].DrawAsync("y", Line(3));

        var failure = await broken[0].WaitForAsync<FrameFailedMessage>();
        Assert.False(failure.Unavailable);
        Assert.Contains("Injected fault", failure.Message);
        Assert.True(failure.Revision <= brokenRevision);
        await healthy[0].WaitForAsync<FrameMessage>(f => f.Prompt == "healthy room");
        Assert.Empty(healthy[0].All<FrameFailedMessage>());

        // The broken room recovers as soon as its prompt is fixed.
        var fixedRevision = await broken[0].Connection.InvokeAsync<long>("SetPrompt", "fixed room");
        var frame = await broken[0].WaitForAsync<FrameMessage>(f => f.Revision >= fixedRevision);
        Assert.Equal("fixed room", frame.Prompt);
    }

    [Fact]
    public async Task EightBusyRoomsEachWaitAtMostTwoModelRunsForTheirNextFrame()
    {
        var rooms = new List<(string Id, SketchClient Client)>();
        for (var i = 0; i < 8; i++)
        {
            var (id, clients) = await app.RoomWithClientsAsync(1, $"busy room {i}");
            rooms.Add((id, clients[0]));
        }
        var before = app.Generator.Calls.Count;
        // Model runs long enough that every client surely changes its room during each one, even on a slow machine.
        var delay = app.Generator.Delay;
        app.Generator.Delay = TimeSpan.FromMilliseconds(150);
        foreach (var (_, c) in rooms) await c.Connection.InvokeAsync<long>("BeginStroke", "busy", "#000000", 3f);
        var clock = Stopwatch.StartNew();
        var step = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(2))
        {
            foreach (var (_, c) in rooms) await c.Connection.SendAsync("AppendPoints", "busy", Line(1, step % 500, step % 500));
            step++;
            await Task.Delay(10);
        }
        app.Generator.Delay = delay;
        var runs = app.Generator.Calls.Skip(before).Select(batch => batch.Select(r => r.Prompt).ToHashSet()).ToList();

        // While every room keeps changing, each run takes up to 4 rooms and a rendered room queues behind the others.
        var busyRuns = runs.Skip(1).Take(runs.Count - 2).ToList();
        Assert.True(busyRuns.Count >= 6, $"only {busyRuns.Count} model runs");
        for (var i = 0; i < 8; i++)
        {
            var prompt = $"busy room {i}";
            var hits = busyRuns.Select((r, index) => (r, index)).Where(x => x.r.Contains(prompt)).Select(x => x.index).ToList();
            Assert.NotEmpty(hits);
            var gaps = hits.Zip(hits.Skip(1), (p, q) => q - p - 1).Append(hits[0]).Append(busyRuns.Count - 1 - hits[^1]);
            Assert.True(gaps.Max() <= 2, $"{prompt} waited {gaps.Max()} runs; runs: {string.Join(" | ", busyRuns.Select(r => string.Join(",", r)))}");
        }
        Assert.All(busyRuns, r => Assert.InRange(r.Count, 1, 4));
    }

    [Theory]
    [InlineData("AppendPoints", "nan", "invalid-argument")]
    [InlineData("AppendPoints", "outside", "invalid-argument")]
    [InlineData("AppendPoints", "oversized", "limit")]
    [InlineData("AppendPoints", "unknown-stroke", "not-found")]
    [InlineData("BeginStroke", "bad-id", "invalid-argument")]
    [InlineData("BeginStroke", "bad-colour", "invalid-argument")]
    [InlineData("JoinRoom", "bad-room", "invalid-argument")]
    [InlineData("SetSettings", "steps", "invalid-argument")]
    public async Task BadInputGetsAnErrorToTheCallerOnly(string method, string kind, string code)
    {
        var (roomId, room) = await app.RoomWithClientsAsync(2);
        var (bad, other) = (room[0], room[1]);
        await bad.Connection.InvokeAsync<long>("BeginStroke", "ok", "#000000", 2f);
        var revision = app.Rooms.GetSnapshot(roomId, SketchHub.DescribeModel(app.Generator.Info)).Revision;

        Task call = (method, kind) switch
        {
            (_, "nan") => bad.Connection.InvokeAsync<long>("AppendPoints", "ok", new[] { new StrokePoint(float.NaN, 1, 0.5f) }),
            (_, "outside") => bad.Connection.InvokeAsync<long>("AppendPoints", "ok", new[] { new StrokePoint(5000, 1, 0.5f) }),
            (_, "oversized") => bad.Connection.InvokeAsync<long>("AppendPoints", "ok", Line(513)),
            (_, "unknown-stroke") => bad.Connection.InvokeAsync<long>("AppendPoints", "nope", Line(1)),
            (_, "bad-id") => bad.Connection.InvokeAsync<long>("BeginStroke", "../../etc", "#000000", 2f),
            (_, "bad-colour") => bad.Connection.InvokeAsync<long>("BeginStroke", "s2", "red; drop", 2f),
            (_, "bad-room") => bad.Connection.InvokeAsync<RoomSnapshot>("JoinRoom", "not-a-room", "x"),
            (_, "steps") => bad.Connection.InvokeAsync<long>("SetSettings", bad.Snapshot!.Settings with { Steps = 9 }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var thrown = await Assert.ThrowsAsync<HubException>(() => call);

        var error = await bad.WaitForAsync<ErrorMessage>();
        Assert.Equal(method, error.Method);
        Assert.Contains(error.Message, thrown.Message);
        Assert.Equal(code, error.Code);
        if (code == "invalid-argument") Assert.Matches("`[a-zA-Z\\[\\]0-9.]+`", error.Message); // names the argument
        // The state is unchanged.
        Assert.Equal(revision, app.Rooms.GetSnapshot(roomId, SketchHub.DescribeModel(app.Generator.Info)).Revision);
        // The connection still works, and its next change (the sentinel) reaches the others after anything the bad call
        // could have sent them: they heard nothing of it.
        await bad.Connection.InvokeAsync<long>("EndStroke", "ok");
        await other.WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "ok");
        Assert.Empty(other.All<ErrorMessage>());
        Assert.Empty(other.All<PointsAppendedMessage>());
    }

    [Fact]
    public async Task ARefusedJoinOfAFullRoomLeavesTheCallerInItsOwnRoom()
    {
        var (full, _) = await app.RoomWithClientsAsync(3);
        var (home, members) = await app.RoomWithClientsAsync(2);

        await Assert.ThrowsAsync<HubException>(() => members[0].JoinAsync(full, "wanderer"));

        // Still a member of its own room: it draws there and the other member sees it, and nobody saw it leave.
        await members[0].Connection.InvokeAsync<long>("BeginStroke", "still-here", "#000000", 2f);
        await members[1].WaitForAsync<StrokeBegunMessage>(m => m.StrokeId == "still-here");
        Assert.DoesNotContain(members[1].All<PresenceMessage>(), p => p.Participant.Id == members[0].Snapshot!.ParticipantId && p.Participant.State == "Left");
        Assert.Contains(app.Rooms.View(home).Participants, p => p.Id == members[0].Snapshot!.ParticipantId && p.State == "Present");
    }

    [Fact]
    public async Task AFullRoomTurnsTheNextJoinerAway()
    {
        var (roomId, _) = await app.RoomWithClientsAsync(3);
        var fourth = await app.ConnectAsync();

        var thrown = await Assert.ThrowsAsync<HubException>(() => fourth.JoinAsync(roomId, "fourth"));

        var error = await fourth.WaitForAsync<ErrorMessage>();
        Assert.Equal("room-full", error.Code);
        Assert.Contains("full", thrown.Message);
    }

    [Fact]
    public async Task JsonAndMessagePackClientsShareOneRoom()
    {
        var roomId = app.Rooms.CreateRoom();
        var packed = await app.ConnectAsync();
        var json = await app.ConnectAsync(json: true);
        await packed.JoinAsync(roomId, "packed");
        var snapshot = await json.JoinAsync(roomId, "json");
        Assert.Equal(GuidanceMode.ControlNet, snapshot.Settings.Mode);

        await json.DrawAsync("j", Line(3));
        await json.Connection.InvokeAsync<long>("SetSettings", snapshot.Settings with { Mode = GuidanceMode.Img2Img, Strength = 0.25f });

        var points = await packed.WaitForAsync<PointsAppendedMessage>();
        Assert.Equal(Line(3), points.Points);
        var settings = await packed.WaitForAsync<SettingsChangedMessage>();
        Assert.Equal(GuidanceMode.Img2Img, settings.Settings.Mode);
        var frame = await json.WaitForAsync<FrameMessage>();
        Assert.Equal([0xFF, 0xD8], frame.Image[..2]);
    }

    [Fact]
    public async Task AReconnectedClientRejoinsAsTheSameParticipantAndCanStillUndo()
    {
        var (roomId, room) = await app.RoomWithClientsAsync(2);
        var first = room[1].Snapshot!;
        await room[1].DrawAsync("before", Line(3));
        await room[1].DisposeAsync();
        await room[0].WaitForAsync<PresenceMessage>(p => p.Participant.Id == first.ParticipantId && p.Participant.State == "Left");

        var back = await app.ConnectAsync();
        var snapshot = await back.Connection.InvokeAsync<RoomSnapshot>("RejoinRoom", roomId, "user 1", first.ParticipantId, first.RejoinToken);

        Assert.Equal(first.ParticipantId, snapshot.ParticipantId);
        await room[0].WaitForAsync<PresenceMessage>(p => p.Participant.Id == first.ParticipantId && p.Participant.State == "Present");
        await back.Connection.InvokeAsync<long>("Undo");
        var removed = await room[0].WaitForAsync<StrokesRemovedMessage>();
        Assert.Equal(["before"], removed.StrokeIds);
    }

    [Fact]
    public async Task LeavingTellsTheOthers()
    {
        var (_, room) = await app.RoomWithClientsAsync(2);
        var leaverId = room[1].Snapshot!.ParticipantId;

        await room[1].DisposeAsync();

        var presence = await room[0].WaitForAsync<PresenceMessage>(p => p.Participant.Id == leaverId && p.Participant.State == "Left");
        Assert.Equal([room[0].Snapshot!.ParticipantId], presence.Participants.Select(p => p.Id));
    }
}
