namespace SanaSprint.Web.Rooms;

/// <summary>Where rooms live: the registry of rooms plus the persistence hook for their changes.</summary>
/// <remarks>
/// <see cref="InMemoryRoomStore"/> keeps rooms for the process lifetime; <see cref="SqliteRoomStore"/> loads rooms at start
/// and writes what <see cref="OnChanged"/> reports. <see cref="OnChanged"/> is called under the room's lock, so it only
/// records the change (queues a write) and returns quickly; <see cref="CommitAsync"/> waits until what was recorded is durable.
/// </remarks>
public interface IRoomStore
{
    /// <summary>How many rooms exist.</summary>
    int Count { get; }

    /// <summary>The room with this id, or null.</summary>
    Room? Find(string roomId);

    /// <summary>Adds a new room; false when the id is taken.</summary>
    bool TryAdd(Room room);

    /// <summary>All rooms (a moment's copy).</summary>
    IReadOnlyCollection<Room> All();

    /// <summary>
    /// Removes a room for good: from memory at once, and from storage (its strokes and frame too) before the returned task
    /// completes. Changes of the room still queued are dropped. No-op for an unknown id.
    /// </summary>
    /// <param name="roomId">The room.</param>
    /// <param name="cancellationToken">Stops waiting (the removal itself goes on).</param>
    ValueTask RemoveAsync(string roomId, CancellationToken cancellationToken = default);

    /// <summary>A room's persistent state changed (strokes, prompt, settings, newest frame); called under the room's lock.</summary>
    /// <param name="room">The room.</param>
    /// <param name="change">What changed.</param>
    void OnChanged(Room room, RoomChange change);

    /// <summary>Completes once every change reported for the room so far is durable (at once for a store that keeps nothing).</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="cancellationToken">Stops waiting (the write itself goes on).</param>
    /// <exception cref="InvalidOperationException">The write failed; the changes stay queued and are retried.</exception>
    ValueTask CommitAsync(string roomId, CancellationToken cancellationToken = default);
}

/// <summary>What a <see cref="IRoomStore.OnChanged"/> call reports.</summary>
/// <param name="Kind">The kind of change.</param>
/// <param name="StrokeId">The stroke concerned, for stroke changes.</param>
public sealed record RoomChange(RoomChangeKind Kind, string? StrokeId = null);

/// <summary>Kinds of persistent room change.</summary>
public enum RoomChangeKind
{
    /// <summary>The room was created.</summary>
    Created,
    /// <summary>A stroke began.</summary>
    StrokeBegun,
    /// <summary>Points were appended to a stroke.</summary>
    PointsAppended,
    /// <summary>A stroke ended; its points never change again.</summary>
    StrokeEnded,
    /// <summary>Visibility of strokes changed (undo, redo, clear).</summary>
    Visibility,
    /// <summary>Strokes were dropped for good (history trimmed).</summary>
    StrokesPurged,
    /// <summary>The prompt changed.</summary>
    Prompt,
    /// <summary>The settings changed.</summary>
    Settings,
    /// <summary>The room's newest frame (<see cref="Room.LastFrame"/>) changed.</summary>
    Frame,
    /// <summary>Who is in the room or what they may do changed: a participant admitted or removed, the host, the lock.</summary>
    Access,
}
