using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// A web node's ear on one room: the room grain sends it each event, frame and failure in the room's order (it awaits
/// one before sending the next), and the node hands them to its own connections' outboxes and page subscribers.
/// </summary>
public interface IRoomObserver : IGrainObserver
{
    /// <summary>A room event.</summary>
    /// <param name="roomEvent">The event.</param>
    /// <param name="exceptSessionId">A connection that already has it (the sender of its own drawing), or null.</param>
    Task OnEventAsync(RoomEvent roomEvent, string? exceptSessionId);

    /// <summary>A frame of the room.</summary>
    /// <param name="frame">The frame.</param>
    Task OnFrameAsync(FrameMessage frame);

    /// <summary>A frame of the room could not be produced.</summary>
    /// <param name="failure">What members are told.</param>
    Task OnFrameFailedAsync(FrameFailedMessage failure);
}
