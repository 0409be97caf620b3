using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Rooms;

/// <summary>Who may do what in a room, on a bare <see cref="Room"/>: host, drawers, watchers, the lock and removals.</summary>
public sealed class RoomAccessTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private RoomEditor Editor() => new(new RoomOptions { RejoinWindow = TimeSpan.FromMinutes(10) }, _time);

    private static (RoomCaller Caller, string Token) Join(RoomEditor editor, Room room, string session, string name, bool watching = false,
        string? participantId = null, string? token = null)
    {
        var (joining, _) = editor.Reserve(room, session, name, participantId, token, watching);
        var (view, _) = editor.Admit(room, joining);
        return (new RoomCaller(room.Id, view.ParticipantId, session), view.RejoinToken);
    }

    private static RoomException Refused(Action call) => Assert.Throws<RoomException>(call);

    [Fact]
    public void ANewRoomHasAWatchAddressOfItsOwnAndTheFirstDrawerNotAWatcherBecomesHost()
    {
        var editor = Editor();
        var room = editor.CreateRoom(RoomEditor.NewRoomId());
        Assert.True(RoomEditor.IsRoomId(room.WatchId));
        Assert.NotEqual(room.Id, room.WatchId);

        var (watcher, _) = Join(editor, room, "w", "wanda", watching: true);
        Assert.Null(RoomEditor.Access(room).HostId);
        var (host, _) = Join(editor, room, "h", "hal");
        var (drawer, _) = Join(editor, room, "d", "dee");

        var access = RoomEditor.Access(room);
        Assert.Equal(host.ParticipantId, access.HostId);
        Assert.Equal(ParticipantRoles.Watcher, access.RoleOf(watcher.ParticipantId));
        Assert.Equal(ParticipantRoles.Drawer, access.RoleOf(drawer.ParticipantId));
        // Views: a watcher's names the room by its watch address and carries no other; the others get the watch address.
        var watcherView = editor.View(room, watcher.ParticipantId);
        Assert.Equal((room.WatchId, (string?)null, ParticipantRoles.Watcher), (watcherView.RoomId, watcherView.WatchId, watcherView.Role));
        var drawerView = editor.View(room, drawer.ParticipantId);
        Assert.Equal((room.Id, room.WatchId, ParticipantRoles.Drawer), (drawerView.RoomId, drawerView.WatchId, drawerView.Role));
        Assert.Contains(new RoomChange(RoomChangeKind.Access), room.TakeChanges());
    }

    [Fact]
    public void WatchersAndLockedOutDrawersAreRefusedEveryChangeAndTheRoomStaysAsItWas()
    {
        var editor = Editor();
        var room = editor.CreateRoom(RoomEditor.NewRoomId());
        var (host, _) = Join(editor, room, "h", "hal");
        var (drawer, _) = Join(editor, room, "d", "dee");
        var (watcher, _) = Join(editor, room, "w", "wanda", watching: true);
        editor.BeginStroke(room, drawer, "d1", "#000000", 4);
        var revision = room.Revision;
        var settings = room.Settings;

        void AllRefused(RoomCaller caller, string because)
        {
            var refusals = new Action[]
            {
                () => editor.BeginStroke(room, caller, "x1", "#000000", 4),
                () => editor.AppendPoints(room, caller, "d1", [new(1, 1, 0.5f)]),
                () => editor.EndStroke(room, caller, "d1"),
                () => editor.Undo(room, caller),
                () => editor.Redo(room, caller),
                () => editor.Clear(room, caller),
                () => editor.SetPrompt(room, caller, "changed"),
                () => editor.SetSettings(room, caller, settings with { Steps = 4 }),
                () => editor.ApplyPreset(room, caller, settings with { Steps = 4 }, "changed"),
            };
            foreach (var call in refusals)
            {
                var ex = Refused(call);
                Assert.Equal(RoomErrorCodes.ReadOnly, ex.Code);
                Assert.Contains(because, ex.Message);
            }
        }

        AllRefused(watcher, "watch-only");
        editor.SetLocked(room, host, true);
        AllRefused(drawer, "locked");
        AllRefused(watcher, "watch-only");

        Assert.Equal(revision, room.Revision);
        Assert.Equal(settings, room.Settings);
        Assert.Equal(["d1"], room.Strokes.Select(s => s.Id));
        // The host still changes the room, and cursors are anyone's.
        editor.BeginStroke(room, host, "h1", "#000000", 4);
        Assert.NotNull(editor.Cursor(room, watcher, 3, 3));
        editor.SetLocked(room, host, false);
        editor.EndStroke(room, drawer, "d1");
    }

    [Fact]
    public void OnlyTheHostLocksRemovesOrHandsOverAndTheNewHostMustBePresentAndNotAWatcher()
    {
        var editor = Editor();
        var room = editor.CreateRoom(RoomEditor.NewRoomId());
        var (host, _) = Join(editor, room, "h", "hal");
        var (drawer, _) = Join(editor, room, "d", "dee");
        var (watcher, _) = Join(editor, room, "w", "wanda", watching: true);

        foreach (var caller in new[] { drawer, watcher })
        {
            Assert.Equal(RoomErrorCodes.NotHost, Refused(() => editor.SetLocked(room, caller, true)).Code);
            Assert.Equal(RoomErrorCodes.NotHost, Refused(() => editor.RemoveParticipant(room, caller, host.ParticipantId)).Code);
            Assert.Equal(RoomErrorCodes.NotHost, Refused(() => editor.HandOverHost(room, caller, caller.ParticipantId)).Code);
        }
        Assert.Equal(RoomErrorCodes.Forbidden, Refused(() => editor.HandOverHost(room, host, watcher.ParticipantId)).Code);
        Assert.Equal(RoomErrorCodes.InvalidArgument, Refused(() => editor.HandOverHost(room, host, host.ParticipantId)).Code);
        Assert.Equal(RoomErrorCodes.NotFound, Refused(() => editor.HandOverHost(room, host, "p99")).Code);
        Assert.Equal(RoomErrorCodes.InvalidArgument, Refused(() => editor.RemoveParticipant(room, host, host.ParticipantId)).Code);
        Assert.Equal(host.ParticipantId, RoomEditor.Access(room).HostId);
        Assert.False(RoomEditor.Access(room).Locked);

        var moved = editor.HandOverHost(room, host, drawer.ParticipantId);

        Assert.Equal(drawer.ParticipantId, moved.Access.HostId);
        Assert.Equal(ParticipantRoles.Drawer, moved.Access.RoleOf(host.ParticipantId));
        Assert.Equal(RoomErrorCodes.NotHost, Refused(() => editor.SetLocked(room, host, true)).Code);
        Assert.True(editor.SetLocked(room, drawer, true).Access.Locked);
    }

    [Fact]
    public void TheHostRejoinsAsHostButARemovedParticipantNeverRejoinsAndALockedRoomTakesNoNewcomers()
    {
        var editor = Editor();
        var room = editor.CreateRoom(RoomEditor.NewRoomId());
        var (host, hostToken) = Join(editor, room, "h1", "hal");
        var (drawer, drawerToken) = Join(editor, room, "d1", "dee");
        editor.Leave(room, host.ParticipantId, "h1");

        var (hostAgain, _) = Join(editor, room, "h2", "hal", participantId: host.ParticipantId, token: hostToken);
        Assert.Equal(host.ParticipantId, hostAgain.ParticipantId);
        Assert.Equal(host.ParticipantId, RoomEditor.Access(room).HostId);

        var (removed, presence) = editor.RemoveParticipant(room, hostAgain, drawer.ParticipantId);
        Assert.Equal(("d1", drawer.ParticipantId), (removed.SessionId, removed.ParticipantId));
        Assert.Equal("Left", presence!.Changed.State);
        Assert.DoesNotContain(presence.Present, p => p.Id == drawer.ParticipantId);
        Assert.Equal(RoomErrorCodes.NotJoined, Refused(() => editor.BeginStroke(room, drawer, "late", "#000000", 4)).Code);
        Assert.Equal(RoomErrorCodes.Removed, Refused(() => editor.Reserve(room, "d2", "dee", drawer.ParticipantId, drawerToken)).Code);
        Assert.Equal(RoomErrorCodes.Removed, Refused(() => editor.CheckPlace(room, drawer.ParticipantId, drawerToken)).Code);

        editor.SetLocked(room, hostAgain, true);
        Assert.Equal(RoomErrorCodes.Locked, Refused(() => editor.Reserve(room, "n1", "newcomer")).Code);
        Assert.Equal(RoomErrorCodes.Locked, Refused(() => editor.Reserve(room, "n1", "newcomer", watching: true)).Code);
        Assert.Equal(RoomErrorCodes.Locked, Refused(() => editor.CheckPlace(room)).Code);
        // Someone already known to the room still comes back while it is locked.
        editor.Leave(room, hostAgain.ParticipantId, "h2");
        var (hostThird, _) = Join(editor, room, "h3", "hal", participantId: host.ParticipantId, token: hostToken);
        Assert.Equal(host.ParticipantId, hostThird.ParticipantId);

        editor.SetLocked(room, hostThird, false);
        var (fresh, _) = Join(editor, room, "d3", "dee");
        Assert.NotEqual(drawer.ParticipantId, fresh.ParticipantId);
        Assert.Equal(ParticipantRoles.Drawer, RoomEditor.Access(room).RoleOf(fresh.ParticipantId));
    }

    [Fact]
    public void AHostGoneLongerThanTheRejoinWindowHandsTheRoleToTheLongestPresentDrawer()
    {
        var editor = Editor();
        var room = editor.CreateRoom(RoomEditor.NewRoomId());
        var (host, _) = Join(editor, room, "h", "hal");
        _time.Advance(TimeSpan.FromSeconds(1));
        Join(editor, room, "w", "wanda", watching: true);
        _time.Advance(TimeSpan.FromSeconds(1));
        var (first, _) = Join(editor, room, "d1", "dee");
        _time.Advance(TimeSpan.FromSeconds(1));
        Join(editor, room, "d2", "eve");
        editor.SetLocked(room, host, true);
        editor.Leave(room, host.ParticipantId, "h");

        _time.Advance(TimeSpan.FromMinutes(5));
        // A join tidies the room first; within the window the host keeps its role (and its lock turns the newcomer away).
        Assert.Equal(RoomErrorCodes.Locked, Refused(() => editor.Reserve(room, "n", "newcomer")).Code);
        Assert.Equal(host.ParticipantId, RoomEditor.Access(room).HostId);

        _time.Advance(TimeSpan.FromMinutes(6));
        var (joining, _) = editor.Reserve(room, "d1-again", "dee", first.ParticipantId, editor.View(room, first.ParticipantId).RejoinToken);

        var access = RoomEditor.Access(room);
        Assert.Equal(first.ParticipantId, access.HostId);
        Assert.True(access.Locked);
        editor.Admit(room, joining);
        Assert.False(editor.SetLocked(room, new RoomCaller(room.Id, joining.Id, "d1-again"), false).Access.Locked);
    }
}
