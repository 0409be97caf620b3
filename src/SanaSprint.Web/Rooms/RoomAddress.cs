namespace SanaSprint.Web.Rooms;

/// <summary>What an address in a room link leads to: the room, and whether the link was its watch-only one.</summary>
/// <param name="RoomId">The room's id (its drawing invite); for server-side use only, never shown to a watcher.</param>
/// <param name="WatchOnly">True when the address was the room's <see cref="Room.WatchId"/>: who joins by it is a watcher.</param>
public sealed record RoomAddress(string RoomId, bool WatchOnly);
