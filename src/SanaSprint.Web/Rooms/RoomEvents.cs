using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Rooms;

/// <summary>Who acts on a room: a participant of it. The hub resolves its connection to one; a page uses its own.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="ParticipantId">The participant (present in the room for a change to be accepted).</param>
/// <param name="SessionId">The connection the change came from, whose own drawing need not be echoed back; null when the
/// change did not come from a hub connection (everyone then gets every event).</param>
[GenerateSerializer, Immutable]
public readonly record struct RoomCaller(string RoomId, string ParticipantId, string? SessionId = null);

/// <summary>
/// Something that happened in a room, as the room editor reports it. The hub maps each to its wire message; pages render
/// from them. <see cref="Revision"/> is the room's revision after the change (0 for presence and cursors, which do not
/// change the picture).
/// </summary>
/// <param name="RoomId">The room.</param>
/// <param name="Revision">The revision after the change.</param>
[GenerateSerializer, Immutable]
public abstract record RoomEvent(string RoomId, long Revision);

/// <summary>A participant started a stroke.</summary>
[GenerateSerializer, Immutable]
public sealed record StrokeBegun(string RoomId, long Revision, string StrokeId, string OwnerId, string Colour, float Width) : RoomEvent(RoomId, Revision);

/// <summary>Points were added to a stroke in progress.</summary>
[GenerateSerializer, Immutable]
public sealed record PointsAppended(string RoomId, long Revision, string StrokeId, IReadOnlyList<CanvasPoint> Points) : RoomEvent(RoomId, Revision);

/// <summary>A stroke ended; its points never change again.</summary>
[GenerateSerializer, Immutable]
public sealed record StrokeEnded(string RoomId, long Revision, string StrokeId) : RoomEvent(RoomId, Revision);

/// <summary>An undo or redo changed which strokes are visible.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Revision">The revision after the change.</param>
/// <param name="ParticipantId">Whose undo or redo.</param>
/// <param name="Hidden">Strokes now hidden, by id (empty when none).</param>
/// <param name="Shown">Strokes visible again (empty when none).</param>
/// <param name="VisibleOrder">When strokes were shown: the ids of every visible stroke, bottom to top.</param>
[GenerateSerializer, Immutable]
public sealed record StrokesVisibilityChanged(string RoomId, long Revision, string ParticipantId, IReadOnlyList<string> Hidden,
    IReadOnlyList<StrokeSnapshot> Shown, IReadOnlyList<string> VisibleOrder) : RoomEvent(RoomId, Revision);

/// <summary>A participant cleared the canvas.</summary>
[GenerateSerializer, Immutable]
public sealed record CanvasCleared(string RoomId, long Revision, string ParticipantId) : RoomEvent(RoomId, Revision);

/// <summary>The prompt changed (and, without a seed lock, the seed with it).</summary>
[GenerateSerializer, Immutable]
public sealed record PromptChanged(string RoomId, long Revision, string Prompt, FrameSettings Settings, string ParticipantId) : RoomEvent(RoomId, Revision);

/// <summary>The settings changed.</summary>
[GenerateSerializer, Immutable]
public sealed record SettingsChanged(string RoomId, long Revision, FrameSettings Settings, string ParticipantId) : RoomEvent(RoomId, Revision);

/// <summary>A participant joined or left.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Changed">The participant whose state changed.</param>
/// <param name="Present">Everyone present now.</param>
/// <param name="PresenceVersion">The room's count of presence changes, this one included: of two lists of who is present
/// (events, views), the one with the higher count is the newer.</param>
/// <param name="Access">Host, lock and watchers at that moment, for each participant's role (null: everyone a drawer).</param>
[GenerateSerializer, Immutable]
public sealed record PresenceChanged(string RoomId, Participant Changed, IReadOnlyList<Participant> Present, long PresenceVersion = 0,
    RoomAccess? Access = null)
    : RoomEvent(RoomId, 0);

/// <summary>The host locked or unlocked drawing, or the host role moved to another participant.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Access">Host, lock and watchers after the change.</param>
/// <param name="Present">Everyone present.</param>
/// <param name="PresenceVersion">The room's count of presence changes, this one included (roles are part of the list).</param>
/// <param name="ByParticipantId">Who made the change (empty when the room made it: a host gone for good replaced).</param>
[GenerateSerializer, Immutable]
public sealed record AccessChanged(string RoomId, RoomAccess Access, IReadOnlyList<Participant> Present, long PresenceVersion, string ByParticipantId)
    : RoomEvent(RoomId, 0);

/// <summary>The host removed a participant: it is told, leaves the room and cannot rejoin as itself.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="ParticipantId">The removed participant.</param>
/// <param name="SessionId">Its connection (or circuit) when it was in the room, else null.</param>
/// <param name="ByParticipantId">The host who removed it.</param>
/// <param name="Message">A sentence for the removed person.</param>
[GenerateSerializer, Immutable]
public sealed record ParticipantRemoved(string RoomId, string ParticipantId, string? SessionId, string ByParticipantId, string Message)
    : RoomEvent(RoomId, 0);

/// <summary>A participant's pointer moved.</summary>
[GenerateSerializer, Immutable]
public sealed record CursorMoved(string RoomId, string ParticipantId, float X, float Y) : RoomEvent(RoomId, 0);

/// <summary>What a joiner (or a page looking in) sees of a room.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="ParticipantId">The joiner, or empty when looking in without joining.</param>
/// <param name="Revision">The revision this view reflects; events up to it are already in it.</param>
/// <param name="CanvasWidth">Canvas width in canvas units.</param>
/// <param name="CanvasHeight">Canvas height in canvas units.</param>
/// <param name="Strokes">Visible strokes, bottom to top.</param>
/// <param name="Participants">Everyone present.</param>
/// <param name="Prompt">The prompt.</param>
/// <param name="Settings">The settings.</param>
/// <param name="LastFrame">The newest frame, or null.</param>
/// <param name="RejoinToken">The joiner's secret for rejoining as the same participant, or empty.</param>
/// <param name="PresenceVersion">The room's count of presence changes that <paramref name="Participants"/> reflects (see
/// <see cref="PresenceChanged.PresenceVersion"/>).</param>
/// <param name="Access">Host, lock and watchers, for each participant's role (null: everyone a drawer).</param>
/// <param name="WatchId">The room's watch-only address when the viewer may share it (host and drawers), else null.</param>
[GenerateSerializer, Immutable]
public sealed record RoomView(string RoomId, string ParticipantId, long Revision, int CanvasWidth, int CanvasHeight,
    IReadOnlyList<StrokeSnapshot> Strokes, IReadOnlyList<Participant> Participants, string Prompt, FrameSettings Settings,
    FrameMessage? LastFrame, string RejoinToken, long PresenceVersion = 0, RoomAccess? Access = null, string? WatchId = null)
{
    /// <summary>The viewer's role (<see cref="ParticipantRoles"/>); a drawer when looking in without joining.</summary>
    public string Role => Access?.RoleOf(ParticipantId) ?? ParticipantRoles.Drawer;
}
