using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Cluster.Redis;

/// <summary>
/// What <see cref="RedisRoomStore"/> keeps beside the records the SQLite store shares (settings, access, frame): a
/// participant with its presence, a stroke's header (its points are a separate packed value), and the undo histories,
/// which a room handed to another silo must keep so that undo and redo go on there.
/// </summary>
internal static class RedisRoomRecords
{
    /// <summary>The stored form of every participant.</summary>
    public static List<StoredMember> Members(Room room) =>
        [.. room.Participants.Values.Select(p => p switch
        {
            JoiningParticipant j => new StoredMember(j.Id, j.DisplayName, j.Colour, j.State, j.SessionId, null),
            PresentParticipant pr => new StoredMember(pr.Id, pr.DisplayName, pr.Colour, pr.State, pr.SessionId, pr.JoinedAt),
            LeftParticipant l => new StoredMember(l.Id, l.DisplayName, l.Colour, l.State, null, l.LeftAt),
            _ => new StoredMember(p.Id, p.DisplayName, p.Colour, "Left", null, null),
        })];

    /// <summary>The participant a stored member describes (unknown states come back as left).</summary>
    public static Participant ToParticipant(StoredMember m, string roomId, DateTimeOffset fallback) => m.State switch
    {
        "Joining" when m.SessionId is not null => new JoiningParticipant(m.Id, m.DisplayName, m.Colour, roomId, m.SessionId),
        "Present" when m.SessionId is not null => new PresentParticipant(m.Id, m.DisplayName, m.Colour, m.SessionId, m.At ?? fallback),
        _ => new LeftParticipant(m.Id, m.DisplayName, m.Colour, m.At ?? fallback),
    };

    /// <summary>The stored form of every participant's undo and redo stacks.</summary>
    public static Dictionary<string, StoredHistory> Histories(Room room) =>
        room.Histories.ToDictionary(h => h.Key, h => new StoredHistory([.. h.Value.UndoActions.Select(Action)], [.. h.Value.RedoActions.Select(Action)]),
            StringComparer.Ordinal);

    /// <summary>Rebuilds a participant's stacks: undo actions pushed oldest first, then the redo actions pushed newest-redo
    /// last and undone again, which leaves both stacks in their stored order.</summary>
    public static UndoHistory ToHistory(StoredHistory stored, int maxDepth)
    {
        var history = new UndoHistory(Math.Max(maxDepth, stored.Undo.Count + stored.Redo.Count));
        foreach (var action in stored.Undo) history.Push(ToAction(action));
        for (var i = stored.Redo.Count - 1; i >= 0; i--) history.Push(ToAction(stored.Redo[i]));
        for (var i = 0; i < stored.Redo.Count; i++) history.Undo();
        return history;
    }

    private static StoredAction Action(RoomAction action) => action switch
    {
        DrawAction d => new StoredAction(d.StrokeId, null, null),
        ClearAction c => new StoredAction(null, c.ClearId, [.. c.StrokeIds]),
        _ => throw new InvalidOperationException($"Unknown room action {action.GetType().Name}."),
    };

    private static RoomAction ToAction(StoredAction a) =>
        a.ClearId is { } clearId ? new ClearAction(clearId, a.StrokeIds ?? []) : new DrawAction(a.StrokeId ?? "");
}

/// <summary>A participant as <see cref="RedisRoomStore"/> keeps it, presence included.</summary>
/// <param name="Id">Participant id.</param>
/// <param name="DisplayName">Name shown to others.</param>
/// <param name="Colour">"#rrggbb".</param>
/// <param name="State">"Joining", "Present" or "Left".</param>
/// <param name="SessionId">The connection it belongs to, while joining or present.</param>
/// <param name="At">When it joined (present) or left (left).</param>
internal sealed record StoredMember(string Id, string DisplayName, string Colour, string State, string? SessionId, DateTimeOffset? At);

/// <summary>A stroke's header (its points are kept packed beside it).</summary>
/// <param name="Seq">Its place in the room's z-order (ascending).</param>
/// <param name="OwnerId">Who drew it.</param>
/// <param name="Colour">"#rrggbb".</param>
/// <param name="Width">Width in canvas units.</param>
/// <param name="Ended">True once ended.</param>
/// <param name="Undone">True while its owner's undo hides it.</param>
/// <param name="ClearedBy">The clears hiding it.</param>
internal sealed record StoredStroke(long Seq, string OwnerId, string Colour, float Width, bool Ended, bool Undone, long[]? ClearedBy);

/// <summary>One participant's undo and redo stacks, oldest first.</summary>
/// <param name="Undo">Undoable actions.</param>
/// <param name="Redo">Redoable actions (the next redo last).</param>
internal sealed record StoredHistory(List<StoredAction> Undo, List<StoredAction> Redo);

/// <summary>A drawn stroke (<paramref name="StrokeId"/>) or a clear (<paramref name="ClearId"/> with the strokes it hid).</summary>
/// <param name="StrokeId">The stroke drawn.</param>
/// <param name="ClearId">The clear's id.</param>
/// <param name="StrokeIds">The strokes the clear hid.</param>
internal sealed record StoredAction(string? StrokeId, long? ClearId, List<string>? StrokeIds);
