using Microsoft.AspNetCore.SignalR;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Hubs;

/// <summary>Sends room events to the room's sketch hub connections (group <c>room:{id}</c>) as wire messages.</summary>
/// <param name="hub">The sketch hub's clients.</param>
public sealed class SketchHubEvents(IHubContext<SketchHub, ISketchClient> hub) : IRoomEventSink
{
    /// <inheritdoc />
    public async ValueTask PublishAsync(RoomEvent roomEvent, string? exceptSessionId)
    {
        ArgumentNullException.ThrowIfNull(roomEvent);
        var group = SketchHub.GroupName(roomEvent.RoomId);
        if (roomEvent is ParticipantRemoved removed)
        {
            // Only the removed connection hears of it, and then hears nothing more of the room.
            if (removed.SessionId is not { } session) return;
            await hub.Clients.Client(session).Removed(removed.ToWire());
            await hub.Groups.RemoveFromGroupAsync(session, group);
            return;
        }
        var clients = exceptSessionId is null ? hub.Clients.Group(group) : hub.Clients.GroupExcept(group, exceptSessionId);
        await clients.SendAsync(roomEvent);
    }
}
