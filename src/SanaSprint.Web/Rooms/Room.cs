using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// One shared canvas: strokes in z-order, participants, prompt, settings and the revision clock. Plain state with no
/// SignalR and no locking of its own: <see cref="RoomEditor"/> applies the rules to it, and whoever holds the room
/// (<see cref="LocalRoomDirectory"/>) serialises those calls under <see cref="Gate"/>.
/// </summary>
/// <param name="id">The room id (22 URL-safe characters, 128 random bits).</param>
/// <param name="prompt">Initial prompt.</param>
/// <param name="settings">Initial settings.</param>
public sealed class Room(string id, string prompt, FrameSettings settings)
{
    /// <summary>The room id (22 URL-safe characters, 128 random bits).</summary>
    public string Id { get; } = id;

    /// <summary>Guards every member below.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>The document clock: bumped by every accepted change that can alter the frame.</summary>
    public long Revision { get; internal set; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last revision bump (stroke-to-frame latency starts here).</summary>
    public long RevisionTimestamp { get; internal set; }

    /// <summary>Current prompt.</summary>
    public string Prompt { get; internal set; } = prompt;

    /// <summary>Current settings.</summary>
    public FrameSettings Settings { get; internal set; } = settings;

    /// <summary>All strokes the room keeps, bottom to top (hidden ones included, for undo and redo).</summary>
    internal List<Stroke> Strokes { get; } = [];

    /// <summary>The same strokes by id.</summary>
    internal Dictionary<string, Stroke> StrokesById { get; } = new(StringComparer.Ordinal);

    /// <summary>Every participant ever admitted, by id.</summary>
    internal Dictionary<string, Participant> Participants { get; } = new(StringComparer.Ordinal);

    /// <summary>Per participant undo and redo stacks.</summary>
    internal Dictionary<string, UndoHistory> Histories { get; } = new(StringComparer.Ordinal);

    /// <summary>Last cursor relay per participant (<see cref="TimeProvider.GetTimestamp"/> of the editor's clock).</summary>
    internal Dictionary<string, long> LastCursor { get; } = new(StringComparer.Ordinal);

    /// <summary>Each participant's rejoin secret (see <see cref="RoomSnapshot.RejoinToken"/>).</summary>
    internal Dictionary<string, string> RejoinTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Counts the changes to who is present (joins and leaves). Presence does not bump <see cref="Revision"/>, yet a joiner's
    /// view and the presence events can reach a listener by different paths, so each carries this count to tell the newer.
    /// </summary>
    internal long PresenceVersion { get; set; }

    /// <summary>Counter for participant ids ("p1", "p2", …).</summary>
    internal int ParticipantCounter { get; set; }

    /// <summary>
    /// The room's second address, for the watch-only link (22 URL-safe characters, 128 random bits of its own): whoever
    /// joins by it is a watcher, and the room's <see cref="Id"/>, the drawing invite, cannot be told from it.
    /// </summary>
    public string WatchId { get; internal set; } = "";

    /// <summary>The host's participant id, or null until the first participant joins by the drawing invite.</summary>
    internal string? HostId { get; set; }

    /// <summary>True while only the host may change the room (strokes, undo, clear, prompt, settings) and no newcomer is admitted.</summary>
    internal bool Locked { get; set; }

    /// <summary>Participants who joined by the watch-only link.</summary>
    internal HashSet<string> Watchers { get; } = new(StringComparer.Ordinal);

    /// <summary>Participants the host removed: they can never rejoin as themselves.</summary>
    internal HashSet<string> RemovedIds { get; } = new(StringComparer.Ordinal);

    /// <summary>Counter for clear action ids.</summary>
    internal long ClearCounter { get; set; }

    /// <summary>
    /// When the room was created, restored, or last left by a participant: an empty room is removed
    /// <see cref="RoomOptions.EmptyRoomIdleTime"/> after it.
    /// </summary>
    internal DateTimeOffset LastActivity { get; set; }

    /// <summary>True once the room was removed as empty; a join that found it before then is refused.</summary>
    internal bool Evicted { get; set; }

    /// <summary>The newest frame exactly as it was sent to the room, kept to send to joiners as it is.</summary>
    public FrameMessage? LastFrame { get; internal set; }

    /// <summary>Persistent changes made since the holder last handed them to the store (see <see cref="TakeChanges"/>).</summary>
    private List<RoomChange> PendingChanges { get; } = [];

    /// <summary>Records a persistent change for the store.</summary>
    internal void RecordChange(RoomChange change) => PendingChanges.Add(change);

    /// <summary>The persistent changes recorded since the last call, oldest first; empties the record.</summary>
    internal RoomChange[] TakeChanges()
    {
        if (PendingChanges.Count == 0) return [];
        var changes = PendingChanges.ToArray();
        PendingChanges.Clear();
        return changes;
    }
}
