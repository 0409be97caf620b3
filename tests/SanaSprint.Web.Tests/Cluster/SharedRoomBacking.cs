using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// What a shared room store (Redis in a deployment) holds, in memory, for one test cluster: each room as last written and
/// its newest fencing epoch. Every silo's <see cref="SharedMemoryRoomStore"/> reads and writes through it. Thread-safe.
/// </summary>
public sealed class SharedRoomBacking
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (Room Room, long Epoch)> _rooms = new(StringComparer.Ordinal);

    /// <summary>How many rooms are stored.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _rooms.Count;
        }
    }

    /// <summary>Forgets every room (between tests that count rooms).</summary>
    public void Clear()
    {
        lock (_gate) _rooms.Clear();
    }

    /// <summary>A copy of the room as stored, or null.</summary>
    public Room? Read(string roomId)
    {
        lock (_gate) return _rooms.TryGetValue(roomId, out var stored) ? RoomCopy.Of(stored.Room) : null;
    }

    /// <summary>The room's newest epoch (0: none).</summary>
    public long EpochOf(string roomId)
    {
        lock (_gate) return _rooms.TryGetValue(roomId, out var stored) ? stored.Epoch : 0;
    }

    /// <summary>Stores a new room at epoch 1; false when the id is taken.</summary>
    public bool TryCreate(Room room)
    {
        lock (_gate) return _rooms.TryAdd(room.Id, (RoomCopy.Of(room), 1));
    }

    /// <summary>Takes the next epoch of a stored room and returns a copy of it with the epoch; null when not stored.</summary>
    public (Room Room, long Epoch)? Activate(string roomId)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(roomId, out var stored)) return null;
            var epoch = stored.Epoch + 1;
            _rooms[roomId] = (stored.Room, epoch);
            return (RoomCopy.Of(stored.Room), epoch);
        }
    }

    /// <summary>Writes a copy of the room when <paramref name="epoch"/> is still the newest; false when a newer one exists (nothing written).</summary>
    public bool TryWrite(Room room, long epoch)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(room.Id, out var stored) || stored.Epoch != epoch) return false;
            _rooms[room.Id] = (RoomCopy.Of(room), epoch);
            return true;
        }
    }

    /// <summary>Removes a room for good when <paramref name="epoch"/> is still the newest.</summary>
    public bool TryRemove(string roomId, long epoch)
    {
        lock (_gate) return _rooms.TryGetValue(roomId, out var stored) && stored.Epoch == epoch && _rooms.Remove(roomId);
    }

    /// <summary>The room whose watch-only address this is, or null.</summary>
    public string? FindByWatchId(string watchId)
    {
        lock (_gate) return _rooms.Values.FirstOrDefault(r => r.Room.WatchId == watchId).Room?.Id;
    }
}
