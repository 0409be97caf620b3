using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Rooms;

/// <summary>Which directory calls wait for the store's commit, and which are written behind.</summary>
public sealed class AcknowledgementTests
{
    /// <summary>An in-memory store whose commits complete only when the test releases them.</summary>
    private sealed class GatedStore : IRoomStore
    {
        private readonly InMemoryRoomStore _rooms = new();
        private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Commits { get; private set; }

        public int Count => _rooms.Count;

        public Room? Find(string roomId) => _rooms.Find(roomId);

        public bool TryAdd(Room room) => _rooms.TryAdd(room);

        public IReadOnlyCollection<Room> All() => _rooms.All();

        public ValueTask RemoveAsync(string roomId, CancellationToken cancellationToken = default) => _rooms.RemoveAsync(roomId, cancellationToken);

        public void OnChanged(Room room, RoomChange change)
        {
        }

        public async ValueTask CommitAsync(string roomId, CancellationToken cancellationToken = default)
        {
            Commits++;
            await _gate.Task.WaitAsync(cancellationToken);
        }

        public void Release()
        {
            _gate.SetResult();
            _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private static async Task<(LocalRoomDirectory Rooms, GatedStore Store, RoomCaller Caller)> JoinedAsync()
    {
        var store = new GatedStore();
        var rooms = new LocalRoomDirectory(store, new RoomEditor(new RoomOptions()));
        var roomId = await rooms.CreateRoomAsync();
        var view = await rooms.AdmitAsync(await rooms.ReserveAsync(roomId, "c1", "ann"));
        return (rooms, store, new RoomCaller(roomId, view.ParticipantId, "c1"));
    }

    [Fact]
    public async Task BeginAndAppendAreWrittenBehindAndTheEndWaitsForTheCommit()
    {
        var (rooms, store, caller) = await JoinedAsync();

        Assert.True(rooms.BeginStrokeAsync(caller, "s", "#000000", 2).IsCompletedSuccessfully);
        Assert.True(rooms.AppendPointsAsync(caller, "s", [new CanvasPoint(1, 1, 0.5f)]).IsCompletedSuccessfully);
        Assert.Equal(0, store.Commits);

        var end = rooms.EndStrokeAsync(caller, "s").AsTask();
        Assert.False(end.IsCompleted);
        store.Release();
        Assert.Equal(3, (await end).Revision);
    }

    [Fact]
    public async Task EveryOtherChangeWaitsForTheCommit()
    {
        var (rooms, store, caller) = await JoinedAsync();
        var settings = (await rooms.GetViewAsync(caller.RoomId)).Settings;
        await rooms.BeginStrokeAsync(caller, "s", "#000000", 2);
        await rooms.AppendPointsAsync(caller, "s", [new CanvasPoint(1, 1, 0.5f)]);
        var end = rooms.EndStrokeAsync(caller, "s").AsTask();
        store.Release();
        await end;

        foreach (var change in new Func<Task>[]
        {
            () => rooms.UndoAsync(caller).AsTask(),
            () => rooms.RedoAsync(caller).AsTask(),
            () => rooms.ClearAsync(caller).AsTask(),
            () => rooms.SetPromptAsync(caller, "a kite").AsTask(),
            () => rooms.SetSettingsAsync(caller, settings with { Steps = 3 }).AsTask(),
            () => rooms.ApplyPresetAsync(caller, settings with { PresetId = "ink-sketch" }, "a heron").AsTask(),
        })
        {
            var pending = change();
            Assert.False(pending.IsCompleted);
            store.Release();
            await pending;
        }
    }

    [Fact]
    public async Task SubscribersSeeEachChangeOnceUntilTheyUnsubscribe()
    {
        var (rooms, store, caller) = await JoinedAsync();
        var seen = new List<RoomEvent>();
        var subscription = rooms.Subscribe(caller.RoomId, e =>
        {
            seen.Add(e);
            return Task.CompletedTask;
        });

        var set = rooms.SetPromptAsync(caller, "a kite").AsTask();
        store.Release();
        var changed = await set;
        subscription.Dispose();
        var after = rooms.SetPromptAsync(caller, "unseen").AsTask();
        store.Release();
        await after;

        Assert.Equal([changed], seen);
    }
}
