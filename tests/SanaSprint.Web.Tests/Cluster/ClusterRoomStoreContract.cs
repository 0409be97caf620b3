using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// What every <see cref="IClusterRoomStore"/> must do, run once per implementation: a subclass makes one store per
/// simulated silo (<see cref="CreateStore"/>), all over one shared backend that is fresh for each test. Rooms are changed
/// the way their holder changes them: under <see cref="Room.Gate"/>, handing <see cref="Room.TakeChanges"/> to the store.
/// </summary>
public abstract class ClusterRoomStoreContract : IAsyncLifetime
{
    /// <summary>The write-behind interval the stores are made with.</summary>
    protected static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);

    private readonly List<IClusterRoomStore> _stores = [];

    /// <summary>The clock every store and the editor use; write-behind happens when it is advanced.</summary>
    protected FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The room rules.</summary>
    protected RoomEditor Editor { get; }

    /// <summary>Creates the suite.</summary>
    protected ClusterRoomStoreContract() => Editor = new RoomEditor(new RoomOptions(), Time);

    /// <summary>A store for one more silo over this test's shared backend, using <see cref="Time"/> and <see cref="FlushInterval"/>.</summary>
    protected abstract IClusterRoomStore CreateStore();

    /// <summary>Completes once what <paramref name="store"/> writes behind has been written (after <see cref="Time"/> passed the
    /// interval). At once for a store that writes every change when it is recorded.</summary>
    /// <param name="store">A store from <see cref="CreateStore"/>.</param>
    protected virtual Task WaitForWriteBehindAsync(IClusterRoomStore store) => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            if (store is IAsyncDisposable disposable) await disposable.DisposeAsync();
            else if (store is IDisposable plain) plain.Dispose();
        }
    }

    private IClusterRoomStore Silo()
    {
        var store = CreateStore();
        _stores.Add(store);
        return store;
    }

    [ContractFact]
    public async Task ARoomCreatedOnOneSiloIsTheSameRoomWhenActivatedOnAnother()
    {
        var (a, b) = (Silo(), Silo());
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        Assert.True(await a.CreateAsync(room));
        var ann = Join(a, room, "s1", "ann");
        var bob = Join(a, room, "s2", "bob", watching: true);
        Edit(a, room, r => Editor.BeginStroke(r, ann, "s-1", "#112233", 4f));
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(1, 2, 0.5f), new CanvasPoint(3, 4, 0.25f)]));
        Edit(a, room, r => Editor.EndStroke(r, ann, "s-1"));
        Edit(a, room, r => Editor.BeginStroke(r, ann, "s-2", "#445566", 2f));
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-2", [new CanvasPoint(5, 6, 1f)]));
        Edit(a, room, r => Editor.EndStroke(r, ann, "s-2"));
        Edit(a, room, r => Editor.Undo(r, ann)); // s-2 hidden, redoable
        Edit(a, room, r => Editor.SetPrompt(r, ann, "a lighthouse"));
        Edit(a, room, r => Editor.SetLocked(r, ann, true));
        Edit(a, room, r => RoomEditor.SetLastFrame(r, Frame(r.Revision, [9, 8, 7])));
        await a.CommitAsync(room.Id);
        await a.DeactivateAsync(room.Id);

        Assert.Null(a.Find(room.Id));
        var moved = await b.ActivateAsync(room.Id);

        Assert.NotNull(moved);
        Assert.Same(moved, b.Find(room.Id));
        Assert.Equal((room.Id, room.WatchId, room.Prompt, room.Settings, room.Revision), (moved.Id, moved.WatchId, moved.Prompt, moved.Settings, moved.Revision));
        Assert.Equal(Describe(room), Describe(moved));
        Assert.Equal((room.HostId, room.Locked), (moved.HostId, moved.Locked));
        Assert.Equal(room.Watchers.Order(), moved.Watchers.Order());
        Assert.Equal(room.RejoinTokens.OrderBy(t => t.Key), moved.RejoinTokens.OrderBy(t => t.Key));
        Assert.Equal(room.Participants.Values.Select(p => (p.Id, p.DisplayName, p.Colour, p.State)).Order(),
            moved.Participants.Values.Select(p => (p.Id, p.DisplayName, p.Colour, p.State)).Order());
        Assert.Equal(room.ParticipantCounter, moved.ParticipantCounter);
        Assert.Equal(room.Revision, moved.LastFrame?.Revision);
        Assert.Equal(new byte[] { 9, 8, 7 }, moved.LastFrame?.Image);
        // The undo history came along: ann redoes the stroke she undid before the move.
        var redone = Edit(b, moved, r => Editor.Redo(r, ann));
        Assert.Equal(["s-2"], redone!.Shown.Select(s => s.Id));
        Assert.Equal(bob.ParticipantId, Assert.Single(moved.Watchers));
    }

    [ContractFact]
    public async Task ClearsUndosAndRedosCommittedOneByOneAreWhatTheNextActivationShows()
    {
        var (a, b) = (Silo(), Silo());
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        var bob = Join(a, room, "s2", "bob");
        for (var i = 0; i < 6; i++)
        {
            var (caller, id) = (i % 2 == 0 ? ann : bob, $"s-{i}");
            Edit(a, room, r => Editor.BeginStroke(r, caller, id, "#112233", 4f));
            Edit(a, room, r => Editor.AppendPoints(r, caller, id, [new CanvasPoint(i, i, 0.5f)]));
            Edit(a, room, r => Editor.EndStroke(r, caller, id));
            await a.CommitAsync(room.Id);
        }
        Edit(a, room, r => Editor.Clear(r, bob));
        await a.CommitAsync(room.Id);
        Edit(a, room, r => Editor.Undo(r, bob)); // the clear is undone
        await a.CommitAsync(room.Id);
        Edit(a, room, r => Editor.Undo(r, ann)); // ann's newest stroke s-4 hidden
        await a.CommitAsync(room.Id);
        Edit(a, room, r => Editor.Clear(r, ann)); // everything still visible is hidden by ann's clear
        await a.CommitAsync(room.Id);

        var taken = (await b.ActivateAsync(room.Id))!;

        Assert.Equal(Describe(room), Describe(taken));
        Assert.DoesNotContain(taken.Strokes, s => s.Visible);
        // Ann undoes her clear on the new silo: the strokes it hid come back, her undone stroke does not.
        Edit(b, taken, r => Editor.Undo(r, ann));
        Assert.Equal(["s-0", "s-1", "s-2", "s-3", "s-5"], taken.Strokes.Where(s => s.Visible).Select(s => s.Id));
    }

    [ContractFact]
    public async Task CreatingATakenIdIsRefusedAndLeavesTheStoredRoomAlone()
    {
        var (a, b) = (Silo(), Silo());
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        Assert.True(await a.CreateAsync(room));
        var ann = Join(a, room, "s1", "ann");
        Edit(a, room, r => Editor.SetPrompt(r, ann, "first"));
        await a.CommitAsync(room.Id);

        var twin = Editor.CreateRoom(room.Id);
        Assert.False(await b.CreateAsync(twin));

        Assert.Null(b.Find(room.Id));
        await a.DeactivateAsync(room.Id);
        Assert.Equal("first", (await b.ActivateAsync(room.Id))!.Prompt);
    }

    [ContractFact]
    public async Task CommittedChangesSurviveANewActivationWithoutAHandOver()
    {
        var (a, b) = (Silo(), Silo());
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        Edit(a, room, r => Editor.BeginStroke(r, ann, "s-1", "#112233", 4f));
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(1, 2, 0.5f)]));
        Edit(a, room, r => Editor.EndStroke(r, ann, "s-1"));
        Edit(a, room, r => Editor.SetSettings(r, ann, r.Settings with { Steps = 3, SeedLocked = true }));
        await a.CommitAsync(room.Id);
        var committed = room.Revision;

        // Silo a dies without deactivating the room; silo b takes it over.
        var taken = await b.ActivateAsync(room.Id);

        Assert.NotNull(taken);
        Assert.Equal(Describe(room), Describe(taken));
        Assert.Equal((3, true), (taken.Settings.Steps, taken.Settings.SeedLocked));
        Assert.True(taken.Revision >= committed, $"revision {taken.Revision} went back behind the committed {committed}");
        Assert.Equal("Present", taken.Participants[ann.ParticipantId].State);
    }

    [ContractFact]
    public async Task WrittenBehindPointsLandWithinTheFlushInterval()
    {
        var (a, b) = (Silo(), Silo());
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        Edit(a, room, r => Editor.BeginStroke(r, ann, "s-1", "#112233", 4f));
        await a.CommitAsync(room.Id);
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(1, 2, 0.5f), new CanvasPoint(2, 3, 0.5f)]));
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(4, 5, 0.5f)]));

        Time.Advance(FlushInterval);
        await WaitForWriteBehindAsync(a);

        var taken = await b.ActivateAsync(room.Id);
        Assert.Equal([new CanvasPoint(1, 2, 0.5f), new CanvasPoint(2, 3, 0.5f), new CanvasPoint(4, 5, 0.5f)], taken!.StrokesById["s-1"].Points);
    }

    [ContractFact]
    public async Task AStaleActivationIsFencedAndTheNewerOnesRoomIsKept()
    {
        var (a, b, c) = (Silo(), Silo(), Silo());
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        await a.CommitAsync(room.Id);

        var newer = (await b.ActivateAsync(room.Id))!;
        Edit(b, newer, r => Editor.SetPrompt(r, ann, "from the newer activation"));
        await b.CommitAsync(room.Id);

        Edit(a, room, r => Editor.SetPrompt(r, ann, "from the stale one"));
        Edit(a, room, r => Editor.BeginStroke(r, ann, "stale", "#112233", 4f));
        await Assert.ThrowsAsync<RoomFencedException>(async () => await a.CommitAsync(room.Id));
        // Written-behind changes of the stale activation are refused too.
        Edit(a, room, r => Editor.SetPrompt(r, ann, "stale again"));
        Time.Advance(FlushInterval);
        await WaitForWriteBehindAsync(a);
        await Assert.ThrowsAsync<RoomFencedException>(async () => await a.CommitAsync(room.Id));

        await b.DeactivateAsync(room.Id);
        var stored = (await c.ActivateAsync(room.Id))!;
        Assert.Equal("from the newer activation", stored.Prompt);
        Assert.Empty(stored.Strokes);
    }

    [ContractFact]
    public async Task AWatchOnlyAddressNamesItsRoomOnEverySilo()
    {
        var (a, b) = (Silo(), Silo());
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);

        Assert.Equal(room.Id, await b.FindByWatchIdAsync(room.WatchId));
        Assert.Null(await b.FindByWatchIdAsync(RoomEditor.NewRoomId()));
        Assert.Null(await b.FindByWatchIdAsync(room.Id)); // the drawing invite is not a watch-only address
    }

    [ContractFact]
    public async Task CountAllCountsTheRoomsOfEverySiloAndRemovalTakesEverythingOfARoom()
    {
        var (a, b) = (Silo(), Silo());
        var first = Editor.CreateRoom(RoomEditor.NewRoomId());
        var second = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(first);
        await b.CreateAsync(second);
        var ann = Join(a, first, "s1", "ann");
        Edit(a, first, r => Editor.BeginStroke(r, ann, "s-1", "#112233", 4f));
        Edit(a, first, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(1, 2, 0.5f)]));
        Edit(a, first, r => RoomEditor.SetLastFrame(r, Frame(r.Revision, [1])));
        await a.CommitAsync(first.Id);

        Assert.Equal(2, await a.CountAllAsync());
        Assert.Equal((1, 1), (a.Count, b.Count));

        await a.RemoveAsync(first.Id);

        Assert.Null(a.Find(first.Id));
        Assert.Equal(1, await b.CountAllAsync());
        Assert.Null(await b.ActivateAsync(first.Id));
        Assert.Null(await b.FindByWatchIdAsync(first.WatchId));
        // A new room may take the removed id afresh: nothing of the old one is left under it.
        var again = Editor.CreateRoom(first.Id);
        Assert.True(await b.CreateAsync(again));
        await b.DeactivateAsync(again.Id);
        var fresh = (await a.ActivateAsync(again.Id))!;
        Assert.Empty(fresh.Strokes);
        Assert.Null(fresh.LastFrame);
    }

    [ContractFact]
    public async Task DeactivationWritesWhatIsPendingAndKeepsTheRoomStored()
    {
        var (a, b) = (Silo(), Silo());
        var room = Editor.CreateRoom(RoomEditor.NewRoomId());
        await a.CreateAsync(room);
        var ann = Join(a, room, "s1", "ann");
        Edit(a, room, r => Editor.BeginStroke(r, ann, "s-1", "#112233", 4f));
        Edit(a, room, r => Editor.AppendPoints(r, ann, "s-1", [new CanvasPoint(7, 7, 0.5f)]));

        await a.DeactivateAsync(room.Id);

        Assert.Equal(0, a.Count);
        Assert.Equal(1, await b.CountAllAsync());
        Assert.Equal([new CanvasPoint(7, 7, 0.5f)], (await b.ActivateAsync(room.Id))!.StrokesById["s-1"].Points);
    }

    /// <summary>Joins a participant as the holder does (reserve, admit, hand the changes over).</summary>
    protected RoomCaller Join(IClusterRoomStore store, Room room, string session, string name, bool watching = false)
    {
        lock (room.Gate)
        {
            var (joining, _) = Editor.Reserve(room, session, name, watching: watching);
            var (view, _) = Editor.Admit(room, joining);
            foreach (var change in room.TakeChanges()) store.OnChanged(room, change);
            return new RoomCaller(room.Id, view.ParticipantId, session);
        }
    }

    /// <summary>Applies an edit as the holder does: under the room's lock, then hands the recorded changes to the store.</summary>
    protected static T Edit<T>(IClusterRoomStore store, Room room, Func<Room, T> edit)
    {
        lock (room.Gate)
        {
            try
            {
                return edit(room);
            }
            finally
            {
                foreach (var change in room.TakeChanges()) store.OnChanged(room, change);
            }
        }
    }

    /// <summary>A frame of <paramref name="revision"/> with these image bytes.</summary>
    protected static FrameMessage Frame(long revision, byte[] image) =>
        new(revision, image, "image/jpeg", 64, 64, 2, 7, "p", "test", false, new FrameTimings(1, 1, 1, 1, [1], 1, 1, 1, 1, 1, 0));

    /// <summary>Every stroke in z-order, with what a joiner and an undo would see of it.</summary>
    protected static List<string> Describe(Room room) =>
        [.. room.Strokes.Select(s => $"{s.Id} {s.OwnerId} {s.Colour} {s.Width} ended={s.Ended} undone={s.Undone} visible={s.Visible} "
            + string.Join(";", s.Points.Select(p => $"{p.X},{p.Y},{p.Pressure}")))];
}
