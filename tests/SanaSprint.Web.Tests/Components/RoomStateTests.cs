using System.Text.Json;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Tests.Components;

public sealed class RoomStateTests
{
    private static RoomSettings Settings => new(2, 7, false, GuidanceMode.ControlNet, 0.6f, 1f, null);

    private static readonly ParticipantInfo Alice = new("p1", "Alice", "#e6194b", "Present");
    private static readonly ParticipantInfo Bob = new("p2", "Bob", "#3cb44b", "Present");

    private static RoomSnapshot Snapshot(long revision = 3, FrameMessage? frame = null, long presenceVersion = 0, params ParticipantInfo[] participants) =>
        new("room", "p1", revision, 1024, 1024, [], participants.Length > 0 ? participants : [Alice], "a cat", Settings, frame,
            new ModelInfo("demo", true, "demo!", true, null, [GuidanceMode.Text], "CPU"), "", presenceVersion);

    private static PresenceMessage Presence(long version, ParticipantInfo changed, params ParticipantInfo[] present) => new(changed, present, version);

    [Fact]
    public void TheRoleLockAndRemovalDecideWhetherThisBrowserMayDraw()
    {
        var state = new RoomState();
        Assert.False(state.CanDraw);
        var drawer = Snapshot(presenceVersion: 2, participants: [Alice with { Role = "drawer" }, Bob with { Role = "host" }]) with { Role = "drawer", HostId = "p2", WatchId = "watchwatchwatchwatch12" };
        state.ApplySnapshot(drawer);
        Assert.Equal(("drawer", true, false, "watchwatchwatchwatch12"), (state.Role, state.CanDraw, state.IsHost, state.WatchId));

        // The host locks: read-only. An older access message than the list on show is ignored.
        state.ApplyAccess(new AccessMessage("p2", true, [Alice with { Role = "drawer" }, Bob with { Role = "host" }], 3, "p2"));
        Assert.False(state.CanDraw);
        state.ApplyAccess(new AccessMessage("p2", false, [], 1, "p2"));
        Assert.True(state.Locked);
        // The host hands the role to this browser: it draws, locked or not.
        state.ApplyAccess(new AccessMessage("p1", true, [Alice with { Role = "host" }, Bob with { Role = "drawer" }], 4, "p2"));
        Assert.Equal(("host", true, true), (state.Role, state.IsHost, state.CanDraw));
        // Removed: nothing more.
        state.ApplyRemoved(new RemovedMessage("p1", "p2", "removed"));
        Assert.Equal((false, false), (state.CanDraw, state.IsHost));

        var watcher = new RoomState();
        watcher.ApplySnapshot(Snapshot() with { Role = "watcher", WatchId = null });
        Assert.Equal(("watcher", false, true), (watcher.Role, watcher.CanDraw, watcher.IsWatcher));
        watcher.ApplyAccess(new AccessMessage("p1", false, [Alice with { Role = "watcher" }], 5, "p9"));
        Assert.Equal(("watcher", false), (watcher.Role, watcher.CanDraw)); // joined by the watch link: a watcher for good
    }

    [Fact]
    public void DefaultValues()
    {
        var state = new RoomState();

        Assert.Equal(RoomConnectionStatus.Connecting, state.Connection);
        Assert.False(state.Joined);
        Assert.Null(state.Settings);
        Assert.Empty(state.Participants);
        Assert.Equal(RenderStatus.Idle, state.Render);
        Assert.Null(state.LastFrame);
        Assert.Empty(state.Latencies);
    }

    [Fact]
    public void ASnapshotAsTheBrowserForwardsItJoinsTheRoom()
    {
        var state = new RoomState();
        var changes = 0;
        state.Changed += () => changes++;
        // As sketchCanvas.js forwards it: MessagePack's default resolver sends enums as numbers, frames without bytes.
        const string json = """
            {"roomId":"room","participantId":"p2","revision":9,"canvasWidth":1024,"canvasHeight":768,"strokes":[],
             "participants":[{"id":"p1","displayName":"Alice","colour":"#e6194b","state":"Present"},{"id":"p2","displayName":"Bob","colour":"#3cb44b","state":"Present"}],
             "prompt":"a fox","settings":{"steps":3,"seed":11,"seedLocked":true,"mode":2,"strength":0.4,"controlScale":1.1,"presetId":"anime"},
             "lastFrame":{"revision":8,"image":"","contentType":"image/jpeg","width":512,"height":512,"steps":3,"seed":11,"prompt":"a fox","modelName":"demo","isRefinement":false,
                          "timings":{"queueMs":1,"rasterMs":1,"textMs":0,"controlEncodeMs":2,"stepsMs":[3,3,3],"decodeMs":2,"modelMs":12,"encodeMs":1,"serverMs":15,"batchSize":1}},
             "model":{"modelName":"demo","isDemo":true,"demoNotice":"tiny","isAvailable":true,"unavailableReason":null,"supportedModes":[0,2],"provider":"CPU"}}
            """;

        state.Apply("snapshot", json);

        Assert.True(state.Joined);
        Assert.Equal(1, changes);
        Assert.Equal("p2", state.ParticipantId);
        Assert.Equal(["Alice", "Bob"], state.Participants.Select(p => p.DisplayName));
        Assert.Equal(new RoomSettings(3, 11, true, GuidanceMode.Img2Img, 0.4f, 1.1f, "anime"), state.Settings);
        Assert.Equal([GuidanceMode.Text, GuidanceMode.Img2Img], state.Model!.SupportedModes);
        Assert.Equal(768, state.CanvasHeight);
        Assert.Equal(8, state.LastFrame!.Revision);
        Assert.Equal(RenderStatus.Rendering, state.Render); // revision 9 > frame 8
    }

    [Fact]
    public void EnumNamesParseToo()
    {
        var state = new RoomState();
        state.ApplySnapshot(Snapshot());

        state.Apply("settings", """{"settings":{"steps":1,"seed":5,"seedLocked":false,"mode":"Text","strength":0.6,"controlScale":1,"presetId":null},"byParticipantId":"p1","revision":4}""");

        Assert.Equal(GuidanceMode.Text, state.Settings!.Mode);
        Assert.Equal(1, state.Settings.Steps);
        Assert.Equal(4, state.Revision);
    }

    [Fact]
    public void AnOlderFrameThanTheOneShownIsIgnored()
    {
        var state = new RoomState();
        state.ApplySnapshot(Snapshot(revision: 10));
        state.ApplyFrame(Components.FrameViewTests.Frame(revision: 10));

        state.ApplyFrame(Components.FrameViewTests.Frame(revision: 9, e2e: 999));

        Assert.Equal(10, state.LastFrame!.Revision);
        Assert.Equal([180.0], state.Latencies);
        Assert.Equal(RenderStatus.UpToDate, state.Render);
    }

    [Fact]
    public void LatencyHistoryKeepsTheNewestLiveFramesOnly()
    {
        var state = new RoomState();
        for (var r = 1; r <= RoomState.LatencyHistoryLength + 5; r++)
        {
            state.ApplyFrame(Components.FrameViewTests.Frame(revision: r, e2e: r));
        }

        state.ApplyFrame(Components.FrameViewTests.Frame(revision: RoomState.LatencyHistoryLength + 5, e2e: 5000, refinement: true));

        Assert.Equal(RoomState.LatencyHistoryLength, state.Latencies.Count);
        Assert.Equal(6.0, state.Latencies[0]);
        Assert.Equal(RoomState.LatencyHistoryLength + 5.0, state.Latencies[^1]);
        Assert.True(state.LastFrame!.IsRefinement);
    }

    [Fact]
    public void AFrameClearsAnEarlierFailure()
    {
        var state = new RoomState();
        state.ApplyFrameFailed(new FrameFailedMessage(4, "boom", false));
        Assert.NotNull(state.LastFailure);

        state.ApplyFrame(Components.FrameViewTests.Frame(revision: 5));

        Assert.Null(state.LastFailure);
    }

    [Fact]
    public void RenderStateAndConnectionEventsApply()
    {
        var state = new RoomState();

        state.Apply("renderState", """{"state":"rendering","revision":12,"frameRevision":10}""");
        state.Apply("connection", """{"state":"reconnecting","message":null}""");

        Assert.Equal(RenderStatus.Rendering, state.Render);
        Assert.Equal(12, state.Revision);
        Assert.Equal(RoomConnectionStatus.Reconnecting, state.Connection);
    }

    [Fact]
    public void UnknownEventsAndBadPayloadsAreRejectedWithTheKind()
    {
        var state = new RoomState();

        var unknown = Assert.Throws<ArgumentException>(() => state.Apply("teleport", "{}"));
        var bad = Assert.Throws<ArgumentException>(() => state.Apply("prompt", "{not json"));

        Assert.Contains("teleport", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("prompt", bad.Message, StringComparison.Ordinal);
        Assert.IsType<JsonException>(bad.InnerException, exactMatch: false);
    }

    [Fact]
    public void APresenceEventFromTheBrowserIsNotTaken()
    {
        var state = new RoomState();
        state.ApplySnapshot(Snapshot(presenceVersion: 1));
        var json = JsonSerializer.Serialize(Presence(2, Bob, Alice, Bob), RoomState.Json);

        var ex = Assert.Throws<ArgumentException>(() => state.Apply("presence", json));

        Assert.Contains("presence", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["p1"], state.Participants.Select(p => p.Id));
    }

    [Fact]
    public void PresenceFromTheRoomReplacesTheSnapshotsList()
    {
        var state = new RoomState();
        state.ApplySnapshot(Snapshot(presenceVersion: 1));
        var changes = 0;
        state.Changed += () => changes++;

        state.ApplyPresence(Presence(2, Bob, Alice, Bob));
        Assert.Equal(["Alice", "Bob"], state.Participants.Select(p => p.DisplayName));
        state.ApplyPresence(Presence(3, Alice with { State = "Left" }, Bob));

        Assert.Equal(["p2"], state.Participants.Select(p => p.Id));
        Assert.Equal(2, changes);
    }

    [Fact]
    public void ASnapshotOlderThanThePresenceOnShowKeepsTheNewerList()
    {
        // Bob's join reaches the page from the server before the page's own snapshot, taken before it, comes through the browser.
        var state = new RoomState();
        state.ApplyPresence(Presence(2, Bob, Alice, Bob));

        state.ApplySnapshot(Snapshot(revision: 3, presenceVersion: 1));

        Assert.Equal(["p1", "p2"], state.Participants.Select(p => p.Id));
        Assert.True(state.Joined);
        Assert.Equal("a cat", state.Prompt); // the rest of the snapshot still applies
    }

    [Fact]
    public void APresenceEventOlderThanTheListOnShowIsIgnored()
    {
        // Two presence events published concurrently may arrive out of order; so may a rejoin's snapshot and the leave before it.
        var state = new RoomState();
        state.ApplySnapshot(Snapshot(presenceVersion: 4, participants: [Alice, Bob]));

        state.ApplyPresence(Presence(3, Alice, Alice));

        Assert.Equal(["p1", "p2"], state.Participants.Select(p => p.Id));
        state.ApplyPresence(Presence(4, Bob, Alice, Bob)); // the same count is the same list
        state.ApplySnapshot(Snapshot(presenceVersion: 5, participants: [Bob]));
        Assert.Equal(["p2"], state.Participants.Select(p => p.Id));
    }
}
