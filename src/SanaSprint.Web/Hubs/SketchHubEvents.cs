using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Hubs;

/// <summary>
/// Hands room events to the outboxes of the room's sketch hub connections (<see cref="ConnectionOutboxes"/>): returns at
/// once, whoever is slow to read.
/// </summary>
/// <param name="outboxes">The connections' outboxes.</param>
public sealed class SketchHubEvents(ConnectionOutboxes outboxes) : IRoomEventSink
{
    /// <inheritdoc />
    public ValueTask PublishAsync(RoomEvent roomEvent, string? exceptSessionId)
    {
        ArgumentNullException.ThrowIfNull(roomEvent);
        if (roomEvent is ParticipantRemoved removed)
        {
            // Only the removed connection hears of it, and then hears nothing more of the room.
            if (removed.SessionId is { } session) outboxes.PublishLast(session, removed);
            return ValueTask.CompletedTask;
        }
        outboxes.Publish(roomEvent, exceptSessionId);
        return ValueTask.CompletedTask;
    }
}
