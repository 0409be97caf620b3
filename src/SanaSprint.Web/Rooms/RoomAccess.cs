namespace SanaSprint.Web.Rooms;

/// <summary>
/// Who may do what in a room at one moment: a copy of its host, lock and watchers, taken with an event or a view so that
/// each participant's role can be told outside the room's lock.
/// </summary>
/// <param name="HostId">The host's participant id, or null while the room has none.</param>
/// <param name="Locked">True while only the host may change the room.</param>
/// <param name="Watchers">Participants who joined by the watch-only link.</param>
[GenerateSerializer, Immutable]
public sealed record RoomAccess(string? HostId, bool Locked, IReadOnlySet<string> Watchers)
{
    /// <summary>The role of a participant: <see cref="ParticipantRoles.Host"/>, <see cref="ParticipantRoles.Watcher"/> or <see cref="ParticipantRoles.Drawer"/>.</summary>
    /// <param name="participantId">The participant.</param>
    public string RoleOf(string participantId) =>
        participantId == HostId ? ParticipantRoles.Host : Watchers.Contains(participantId) ? ParticipantRoles.Watcher : ParticipantRoles.Drawer;

    /// <summary>True when the participant may change the room now: the host always, a drawer while the room is unlocked, a watcher never.</summary>
    /// <param name="participantId">The participant.</param>
    public bool MayChange(string participantId) => RoleOf(participantId) switch
    {
        ParticipantRoles.Host => true,
        ParticipantRoles.Drawer => !Locked,
        _ => false,
    };
}
