namespace SanaSprint.Web.Rooms;

/// <summary>Where a room directory sends every room event besides its page subscribers: the sketch hub's connections.</summary>
public interface IRoomEventSink
{
    /// <summary>Sends an event to the room's connections.</summary>
    /// <param name="roomEvent">The event.</param>
    /// <param name="exceptSessionId">A connection that already has it (the sender of its own drawing), or null.</param>
    ValueTask PublishAsync(RoomEvent roomEvent, string? exceptSessionId);
}
