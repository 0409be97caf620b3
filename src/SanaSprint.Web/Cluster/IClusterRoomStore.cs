using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// Where room grains keep their rooms in a deployment: one shared store (Redis) behind every web silo, of which each silo
/// holds the rooms active on it (the <see cref="IRoomStore"/> working set). Each activation of a room takes a fencing
/// epoch; once a newer activation of the same room exists (a duplicate after a partition, or a re-activation elsewhere),
/// the older one's writes are refused with <see cref="RoomFencedException"/> and nothing it wrote after that is kept.
/// </summary>
/// <remarks>
/// <see cref="IRoomStore.OnChanged"/> records a change of an active room (point appends are written behind within the
/// store's flush interval, at most 200 ms); <see cref="IRoomStore.CommitAsync"/> returns once every change recorded so far
/// is durable, and throws <see cref="RoomFencedException"/> when the activation was fenced.
/// </remarks>
public interface IClusterRoomStore : IRoomStore
{
    /// <summary>Stores a new room (durably) and makes it active here with the first epoch.</summary>
    /// <param name="room">The new room (from <see cref="RoomEditor.CreateRoom"/>).</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns>False when the id is taken (nothing changed).</returns>
    ValueTask<bool> CreateAsync(Room room, CancellationToken cancellationToken = default);

    /// <summary>Loads a room into this silo's working set and takes the next fencing epoch for it.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns>The room as last committed, or null when it does not exist.</returns>
    ValueTask<Room?> ActivateAsync(string roomId, CancellationToken cancellationToken = default);

    /// <summary>Writes what is pending for an active room and drops it from this silo's working set (the room stays stored).</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    ValueTask DeactivateAsync(string roomId, CancellationToken cancellationToken = default);

    /// <summary>The room a watch-only address names, or null.</summary>
    /// <param name="watchId">The watch-only address.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    ValueTask<string?> FindByWatchIdAsync(string watchId, CancellationToken cancellationToken = default);

    /// <summary>How many rooms are stored in the whole deployment.</summary>
    /// <param name="cancellationToken">Stops the call.</param>
    ValueTask<int> CountAllAsync(CancellationToken cancellationToken = default);
}
