using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>The host, drawer and watcher rules as in-process SignalR clients meet them.</summary>
[Collection(SketchHubCollection.Name)]
public sealed class HostsAndWatchersTests(SketchHubFixture app)
{
    private static StrokePoint[] Line(int count, float x0 = 10, float y0 = 10) =>
        [.. Enumerable.Range(0, count).Select(i => new StrokePoint(x0 + i, y0 + i / 2f, 0.5f))];

    /// <summary>A new room with its host (the first joiner) and <paramref name="drawers"/> more drawers.</summary>
    private async Task<(string RoomId, SketchClient Host, SketchClient[] Drawers)> RoomAsync(int drawers = 1)
    {
        var roomId = app.Rooms.CreateRoom();
        var host = await app.ConnectAsync();
        await host.JoinAsync(roomId, "host");
        var others = new SketchClient[drawers];
        for (var i = 0; i < drawers; i++)
        {
            others[i] = await app.ConnectAsync();
            await others[i].JoinAsync(roomId, $"drawer {i}");
        }
        return (roomId, host, others);
    }

    private static async Task<ErrorMessage> RefusedAsync(SketchClient client, string method, string code, Func<Task> call)
    {
        var before = client.All<ErrorMessage>().Count;
        var thrown = await Assert.ThrowsAsync<HubException>(call);
        var error = await client.WaitForAsync<ErrorMessage>(e => e.Method == method && client.All<ErrorMessage>().Count > before);
        Assert.Equal(code, error.Code);
        Assert.Contains(error.Message, thrown.Message);
        return error;
    }

    [Fact]
    public async Task TheFirstJoinerIsTheHostAndOnlyHostAndDrawersGetTheWatchLink()
    {
        var (roomId, host, drawers) = await RoomAsync();

        Assert.Equal(ParticipantRoles.Host, host.Snapshot!.Role);
        Assert.Equal(host.Snapshot.ParticipantId, host.Snapshot.HostId);
        Assert.Equal(ParticipantRoles.Drawer, drawers[0].Snapshot!.Role);
        Assert.Equal(host.Snapshot.ParticipantId, drawers[0].Snapshot!.HostId);
        Assert.False(drawers[0].Snapshot!.Locked);
        var watchId = Assert.IsType<string>(host.Snapshot.WatchId);
        Assert.True(RoomEditor.IsRoomId(watchId));
        Assert.NotEqual(roomId, watchId);
        Assert.Equal(watchId, drawers[0].Snapshot!.WatchId);
        var joined = await host.WaitForAsync<PresenceMessage>(p => p.Participant.Id == drawers[0].Snapshot!.ParticipantId);
        Assert.Equal(ParticipantRoles.Drawer, joined.Participant.Role);
        Assert.Equal(ParticipantRoles.Host, Assert.Single(joined.Participants, p => p.Id == host.Snapshot.ParticipantId).Role);
    }

    [Fact]
    public async Task TheHostIsStillTheHostAfterReconnectingAndTheOthersCannotTakeOver()
    {
        var (roomId, host, drawers) = await RoomAsync();
        var first = host.Snapshot!;
        await host.DisposeAsync();
        await drawers[0].WaitForAsync<PresenceMessage>(p => p.Participant.Id == first.ParticipantId && p.Participant.State == "Left");

        // While the host is away the role stays with it: the drawer present cannot use it.
        await RefusedAsync(drawers[0], "SetLocked", RoomErrorCodes.NotHost, () => drawers[0].Connection.InvokeAsync<bool>("SetLocked", true));

        var back = await app.ConnectAsync();
        var again = await back.RejoinAsync(roomId, "host", first);
        Assert.Equal(first.ParticipantId, again.ParticipantId);
        Assert.Equal(ParticipantRoles.Host, again.Role);
        Assert.True(await back.Connection.InvokeAsync<bool>("SetLocked", true));
        var locked = await drawers[0].WaitForAsync<AccessMessage>(a => a.Locked);
        Assert.Equal(first.ParticipantId, locked.HostId);
    }

    [Fact]
    public async Task AWatcherSeesTheRoomButEveryChangeItTriesIsRefusedAndChangesNothing()
    {
        var (roomId, host, _) = await RoomAsync(drawers: 0);
        await host.DrawAsync("before", Line(3));
        var watcher = await app.ConnectAsync();
        var snapshot = await watcher.JoinAsync(host.Snapshot!.WatchId!, "watcher");

        // A watcher sees the room under its watch-only address and is never told the drawing invite.
        Assert.Equal(ParticipantRoles.Watcher, snapshot.Role);
        Assert.Equal(host.Snapshot.WatchId, snapshot.RoomId);
        Assert.Null(snapshot.WatchId);
        Assert.Equal(["before"], snapshot.Strokes.Select(s => s.Id));
        var view = app.Rooms.View(roomId);
        var settings = view.Settings;

        var calls = new (string Method, Func<Task> Call)[]
        {
            ("BeginStroke", () => watcher.Connection.InvokeAsync<long>("BeginStroke", "w1", "#000000", 4f)),
            ("AppendPoints", () => watcher.Connection.InvokeAsync<long>("AppendPoints", "before", Line(2))),
            ("EndStroke", () => watcher.Connection.InvokeAsync<long>("EndStroke", "before")),
            ("Undo", () => watcher.Connection.InvokeAsync<long>("Undo")),
            ("Redo", () => watcher.Connection.InvokeAsync<long>("Redo")),
            ("Clear", () => watcher.Connection.InvokeAsync<long>("Clear")),
            ("SetPrompt", () => watcher.Connection.InvokeAsync<long>("SetPrompt", "a watcher's prompt")),
            ("SetSettings", () => watcher.Connection.InvokeAsync<long>("SetSettings", snapshot.Settings with { Steps = 4, Seed = 7 })),
            ("SetLocked", () => watcher.Connection.InvokeAsync<bool>("SetLocked", true)),
            ("HandOverHost", () => watcher.Connection.InvokeAsync<string?>("HandOverHost", snapshot.ParticipantId)),
            ("RemoveParticipant", () => watcher.Connection.InvokeAsync<string>("RemoveParticipant", host.Snapshot.ParticipantId)),
        };
        foreach (var (method, call) in calls)
        {
            var code = method is "SetLocked" or "HandOverHost" or "RemoveParticipant" ? RoomErrorCodes.NotHost : RoomErrorCodes.ReadOnly;
            var error = await RefusedAsync(watcher, method, code, call);
            if (code == RoomErrorCodes.ReadOnly) Assert.Contains("watch-only", error.Message);
        }

        // Nothing changed: same revision, strokes, prompt and settings.
        var after = app.Rooms.View(roomId);
        Assert.Equal(view.Revision, after.Revision);
        Assert.Equal(["before"], after.Strokes.Select(s => s.Id));
        Assert.Equal(view.Prompt, after.Prompt);
        Assert.Equal(settings, after.Settings);
        Assert.Equal(host.Snapshot.ParticipantId, after.Access!.HostId);
        Assert.False(after.Access.Locked);
        // The watcher's pointer is relayed like anyone's; it reaches the host after anything its refused calls could have
        // sent: the host heard of no stroke, prompt, settings or access change.
        await watcher.Connection.InvokeAsync("Cursor", 5f, 5f);
        await host.WaitForAsync<CursorMessage>(c => c.ParticipantId == snapshot.ParticipantId);
        Assert.Empty(host.All<StrokeBegunMessage>());
        Assert.Empty(host.All<PromptChangedMessage>());
        Assert.Empty(host.All<SettingsChangedMessage>());
        Assert.Empty(host.All<AccessMessage>());
        Assert.Empty(host.All<ErrorMessage>());

        // And it sees what the host draws.
        await host.DrawAsync("after", Line(4));
        await watcher.WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "after");
        Assert.Equal(Line(4), watcher.All<PointsAppendedMessage>().Where(m => m.StrokeId == "after").SelectMany(m => m.Points));
    }

    [Fact]
    public async Task LockingLeavesOnlyTheHostDrawingAndUnlockingRestoresTheDrawers()
    {
        var (roomId, host, drawers) = await RoomAsync();
        var drawer = drawers[0];

        Assert.True(await host.Connection.InvokeAsync<bool>("SetLocked", true));
        var locked = await drawer.WaitForAsync<AccessMessage>(a => a.Locked);
        Assert.Equal(host.Snapshot!.ParticipantId, locked.ByParticipantId);

        var error = await RefusedAsync(drawer, "BeginStroke", RoomErrorCodes.ReadOnly, () => drawer.Connection.InvokeAsync<long>("BeginStroke", "d1", "#000000", 4f));
        Assert.Contains("locked", error.Message);
        await RefusedAsync(drawer, "SetPrompt", RoomErrorCodes.ReadOnly, () => drawer.Connection.InvokeAsync<long>("SetPrompt", "not now"));
        await RefusedAsync(drawer, "Clear", RoomErrorCodes.ReadOnly, () => drawer.Connection.InvokeAsync<long>("Clear"));
        // The host still draws, and its stroke reaches the drawer after anything the refused calls could have sent.
        await host.DrawAsync("host-stroke", Line(3));
        await drawer.WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "host-stroke");
        Assert.Empty(host.All<StrokeBegunMessage>());
        Assert.Equal(["host-stroke"], app.Rooms.View(roomId).Strokes.Select(s => s.Id));
        // A locked room takes no newcomers.
        var newcomer = await app.ConnectAsync();
        await RefusedAsync(newcomer, "JoinRoom", RoomErrorCodes.Locked, () => newcomer.JoinAsync(roomId, "late"));

        Assert.False(await host.Connection.InvokeAsync<bool>("SetLocked", false));
        await drawer.WaitForAsync<AccessMessage>(a => !a.Locked);
        await drawer.DrawAsync("d2", Line(2));
        await host.WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "d2");
        Assert.Equal(ParticipantRoles.Drawer, (await newcomer.JoinAsync(roomId, "late")).Role);
    }

    [Fact]
    public async Task OnlyTheHostCanLockRemoveOrHandOver()
    {
        var (roomId, host, drawers) = await RoomAsync();
        var drawer = drawers[0];
        var hostId = host.Snapshot!.ParticipantId;

        await RefusedAsync(drawer, "SetLocked", RoomErrorCodes.NotHost, () => drawer.Connection.InvokeAsync<bool>("SetLocked", true));
        await RefusedAsync(drawer, "RemoveParticipant", RoomErrorCodes.NotHost, () => drawer.Connection.InvokeAsync<string>("RemoveParticipant", hostId));
        await RefusedAsync(drawer, "HandOverHost", RoomErrorCodes.NotHost, () => drawer.Connection.InvokeAsync<string?>("HandOverHost", drawer.Snapshot!.ParticipantId));

        var access = app.Rooms.View(roomId).Access!;
        Assert.Equal(hostId, access.HostId);
        Assert.False(access.Locked);
        Assert.Contains(app.Rooms.View(roomId).Participants, p => p.Id == hostId && p.State == "Present");
        // The drawer's next stroke (allowed) reaches the host after anything the refused calls could have sent.
        await drawer.DrawAsync("sentinel", Line(1));
        await host.WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "sentinel");
        Assert.Empty(host.All<AccessMessage>());
        Assert.Empty(host.All<RemovedMessage>());
    }

    [Fact]
    public async Task ARemovedParticipantIsToldLeavesAndCannotComeBackWhileTheRoomIsLocked()
    {
        var (roomId, host, drawers) = await RoomAsync(drawers: 2);
        var (removed, witness) = (drawers[0], drawers[1]);
        var removedSnapshot = removed.Snapshot!;

        Assert.Equal(removedSnapshot.ParticipantId, await host.Connection.InvokeAsync<string>("RemoveParticipant", removedSnapshot.ParticipantId));

        var told = await removed.WaitForAsync<RemovedMessage>();
        Assert.Equal(removedSnapshot.ParticipantId, told.ParticipantId);
        Assert.Equal(host.Snapshot!.ParticipantId, told.ByParticipantId);
        var left = await witness.WaitForAsync<PresenceMessage>(p => p.Participant.Id == removedSnapshot.ParticipantId && p.Participant.State == "Left");
        Assert.DoesNotContain(left.Participants, p => p.Id == removedSnapshot.ParticipantId);
        // Its connection is out of the room: its calls are refused, and what the room does afterwards does not reach it
        // (its own refused call's reply comes after anything sent to it before).
        await RefusedAsync(removed, "BeginStroke", RoomErrorCodes.NotJoined, () => removed.Connection.InvokeAsync<long>("BeginStroke", "r1", "#000000", 4f));
        await host.DrawAsync("after-removal", Line(2));
        await witness.WaitForAsync<StrokeEndedMessage>(m => m.StrokeId == "after-removal");
        await RefusedAsync(removed, "Undo", RoomErrorCodes.NotJoined, () => removed.Connection.InvokeAsync<long>("Undo"));
        Assert.DoesNotContain(removed.All<StrokeBegunMessage>(), m => m.StrokeId == "after-removal");

        // It can never rejoin as itself (a page reload), and while the room is locked not as a newcomer either.
        var reload = await app.ConnectAsync();
        await RefusedAsync(reload, "RejoinRoom", RoomErrorCodes.Removed, () => reload.RejoinAsync(roomId, "drawer 0", removedSnapshot));
        await host.Connection.InvokeAsync<bool>("SetLocked", true);
        await RefusedAsync(reload, "JoinRoom", RoomErrorCodes.Locked, () => reload.JoinAsync(roomId, "drawer 0"));
        await RefusedAsync(reload, "JoinRoom", RoomErrorCodes.Locked, () => reload.JoinAsync(host.Snapshot.WatchId!, "drawer 0"));
        Assert.DoesNotContain(app.Rooms.View(roomId).Participants, p => p.Id == removedSnapshot.ParticipantId);

        // Once unlocked an invite admits it again, as a new participant.
        await host.Connection.InvokeAsync<bool>("SetLocked", false);
        var fresh = await reload.JoinAsync(roomId, "drawer 0");
        Assert.NotEqual(removedSnapshot.ParticipantId, fresh.ParticipantId);
        Assert.Equal(ParticipantRoles.Drawer, fresh.Role);
    }

    [Fact]
    public async Task HandingOverMovesTheHostsRightsAndNeverToAWatcher()
    {
        var (roomId, host, drawers) = await RoomAsync();
        var heir = drawers[0];
        var watcher = await app.ConnectAsync();
        var watching = await watcher.JoinAsync(host.Snapshot!.WatchId!, "watcher");

        var error = await RefusedAsync(host, "HandOverHost", RoomErrorCodes.Forbidden,
            () => host.Connection.InvokeAsync<string?>("HandOverHost", watching.ParticipantId));
        Assert.Contains("watch-only", error.Message);

        Assert.Equal(heir.Snapshot!.ParticipantId, await host.Connection.InvokeAsync<string?>("HandOverHost", heir.Snapshot.ParticipantId));
        var moved = await watcher.WaitForAsync<AccessMessage>(a => a.HostId == heir.Snapshot.ParticipantId);
        Assert.Equal(ParticipantRoles.Drawer, Assert.Single(moved.Participants, p => p.Id == host.Snapshot.ParticipantId).Role);
        Assert.Equal(ParticipantRoles.Host, Assert.Single(moved.Participants, p => p.Id == heir.Snapshot.ParticipantId).Role);
        Assert.Equal(ParticipantRoles.Watcher, Assert.Single(moved.Participants, p => p.Id == watching.ParticipantId).Role);

        // The former host is a drawer now: it cannot lock, and the new host's lock makes it read-only.
        await RefusedAsync(host, "SetLocked", RoomErrorCodes.NotHost, () => host.Connection.InvokeAsync<bool>("SetLocked", true));
        Assert.True(await heir.Connection.InvokeAsync<bool>("SetLocked", true));
        await host.WaitForAsync<AccessMessage>(a => a.Locked);
        await RefusedAsync(host, "BeginStroke", RoomErrorCodes.ReadOnly, () => host.Connection.InvokeAsync<long>("BeginStroke", "h1", "#000000", 4f));
        await heir.DrawAsync("heir", Line(2));
        Assert.Equal(["heir"], app.Rooms.View(roomId).Strokes.Select(s => s.Id));
    }
}
