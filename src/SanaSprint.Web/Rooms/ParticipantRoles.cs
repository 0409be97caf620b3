namespace SanaSprint.Web.Rooms;

/// <summary>
/// What a participant may do in its room, as sent on the wire (<c>ParticipantInfo.Role</c>, <c>RoomSnapshot.Role</c>).
/// The host runs the room (lock, remove, hand over) and always draws; drawers draw unless the host locked drawing;
/// watchers joined by the watch-only link and never change anything.
/// </summary>
public static class ParticipantRoles
{
    /// <summary>The room's host: the first participant to join by the drawing invite, or whom the host handed the role to.</summary>
    public const string Host = "host";

    /// <summary>Joined by the drawing invite: draws, undoes, clears, sets the prompt and settings while the room is unlocked.</summary>
    public const string Drawer = "drawer";

    /// <summary>Joined by the watch-only link: sees strokes, cursors and frames, changes nothing.</summary>
    public const string Watcher = "watcher";
}
