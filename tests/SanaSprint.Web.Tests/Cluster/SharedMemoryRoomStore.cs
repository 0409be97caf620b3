using SanaSprint.Web.Cluster;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// One silo's <see cref="IClusterRoomStore"/> over a test cluster's <see cref="SharedRoomBacking"/>: the rooms active on the
/// silo (its working set, each with the epoch its activation took) are written through to the backing as deep copies, so
/// a stale activation, once a newer one took the room, can neither write nor corrupt the stored room: its writes are
/// refused with <see cref="RoomFencedException"/>.
/// </summary>
/// <param name="backing">The cluster's shared store.</param>
public sealed class SharedMemoryRoomStore(SharedRoomBacking backing) : IClusterRoomStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Active> _active = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (_gate) return _active.Count;
        }
    }

    /// <inheritdoc />
    public Room? Find(string roomId)
    {
        lock (_gate) return _active.TryGetValue(roomId, out var active) ? active.Room : null;
    }

    /// <inheritdoc />
    public bool TryAdd(Room room) => CreateAsync(room).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public IReadOnlyCollection<Room> All()
    {
        lock (_gate) return [.. _active.Values.Select(a => a.Room)];
    }

    /// <inheritdoc />
    public ValueTask RemoveAsync(string roomId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_active.Remove(roomId, out var active) && !backing.TryRemove(roomId, active.Epoch))
                throw new RoomFencedException(roomId, active.Epoch, backing.EpochOf(roomId));
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void OnChanged(Room room, RoomChange change)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (_gate)
        {
            if (!_active.TryGetValue(room.Id, out var active) || active.Fenced) return;
            if (!backing.TryWrite(room, active.Epoch)) active.Fenced = true;
        }
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(string roomId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_active.TryGetValue(roomId, out var active) && (active.Fenced || backing.EpochOf(roomId) != active.Epoch))
            {
                active.Fenced = true;
                throw new RoomFencedException(roomId, active.Epoch, backing.EpochOf(roomId));
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> CreateAsync(Room room, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(room);
        lock (_gate)
        {
            if (!backing.TryCreate(room)) return ValueTask.FromResult(false);
            _active[room.Id] = new Active(room, 1);
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<Room?> ActivateAsync(string roomId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (backing.Activate(roomId) is not var (room, epoch)) return ValueTask.FromResult<Room?>(null);
            _active[roomId] = new Active(room, epoch);
            return ValueTask.FromResult<Room?>(room);
        }
    }

    /// <inheritdoc />
    public ValueTask DeactivateAsync(string roomId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_active.Remove(roomId, out var active)) return ValueTask.CompletedTask;
            if (active.Fenced || !backing.TryWrite(active.Room, active.Epoch))
                throw new RoomFencedException(roomId, active.Epoch, backing.EpochOf(roomId));
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<string?> FindByWatchIdAsync(string watchId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(backing.FindByWatchId(watchId));

    /// <inheritdoc />
    public ValueTask<int> CountAllAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(backing.Count);

    private sealed class Active(Room room, long epoch)
    {
        public Room Room { get; } = room;

        public long Epoch { get; } = epoch;

        public bool Fenced { get; set; }
    }
}
