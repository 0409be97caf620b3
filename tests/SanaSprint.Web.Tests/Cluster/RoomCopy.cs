using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>Deep copies of rooms, so a store's stored room and an activation's working room never share state.</summary>
internal static class RoomCopy
{
    /// <summary>A copy sharing nothing mutable with <paramref name="room"/> (participants and frames are immutable records).</summary>
    public static Room Of(Room room)
    {
        var copy = new Room(room.Id, room.Prompt, room.Settings)
        {
            Revision = room.Revision,
            RevisionTimestamp = room.RevisionTimestamp,
            WatchId = room.WatchId,
            HostId = room.HostId,
            Locked = room.Locked,
            ClearCounter = room.ClearCounter,
            LastActivity = room.LastActivity,
            Evicted = room.Evicted,
            LastFrame = room.LastFrame,
            PresenceVersion = room.PresenceVersion,
            ParticipantCounter = room.ParticipantCounter,
        };
        foreach (var stroke in room.Strokes)
        {
            var s = new Stroke(stroke.Id, stroke.OwnerId, stroke.Colour, stroke.Width) { Ended = stroke.Ended, Undone = stroke.Undone };
            s.Points.AddRange(stroke.Points);
            foreach (var clear in stroke.ClearedBy) s.AddClear(clear);
            copy.Strokes.Add(s);
            copy.StrokesById[s.Id] = s;
        }
        foreach (var (id, p) in room.Participants) copy.Participants[id] = p;
        foreach (var (id, h) in room.Histories) copy.Histories[id] = Of(h);
        foreach (var (id, t) in room.LastCursor) copy.LastCursor[id] = t;
        foreach (var (id, t) in room.RejoinTokens) copy.RejoinTokens[id] = t;
        copy.Watchers.UnionWith(room.Watchers);
        copy.RemovedIds.UnionWith(room.RemovedIds);
        return copy;
    }

    /// <summary>
    /// A copy of an undo history: its undoable actions pushed in order, then its redoable ones pushed newest-to-redo last
    /// and undone again, which leaves them in the same redo order.
    /// </summary>
    private static UndoHistory Of(UndoHistory history)
    {
        var copy = new UndoHistory(history.MaxDepth);
        foreach (var action in history.UndoActions) copy.Push(action);
        var redo = history.RedoActions;
        for (var i = redo.Count - 1; i >= 0; i--) copy.Push(redo[i]);
        for (var i = 0; i < redo.Count; i++) copy.Undo();
        return copy;
    }
}
