using System.Collections.Concurrent;

namespace SanaSprint.Web.Rooms;

/// <summary>Keeps rooms in memory for the process lifetime; nothing survives a restart.</summary>
public sealed class InMemoryRoomStore : IRoomStore
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public int Count => _rooms.Count;

    /// <inheritdoc />
    public Room? Find(string roomId) => _rooms.GetValueOrDefault(roomId);

    /// <inheritdoc />
    public bool TryAdd(Room room) => _rooms.TryAdd(room.Id, room);

    /// <inheritdoc />
    public IReadOnlyCollection<Room> All() => [.. _rooms.Values];

    /// <inheritdoc />
    public ValueTask RemoveAsync(string roomId, CancellationToken cancellationToken = default)
    {
        _rooms.TryRemove(roomId, out _);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void OnChanged(Room room, RoomChange change)
    {
        // Nothing to persist.
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(string roomId, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
