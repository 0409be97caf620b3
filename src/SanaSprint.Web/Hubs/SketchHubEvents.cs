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
        var clients = exceptSessionId is null ? hub.Clients.Group(group) : hub.Clients.GroupExcept(group, exceptSessionId);
        await clients.SendAsync(roomEvent);
    }
}
