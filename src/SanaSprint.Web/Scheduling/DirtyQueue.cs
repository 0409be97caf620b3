namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Which rooms need a frame, in the order they get one. A room that changes is queued once however often it changes
/// (latest wins: its frame renders the newest revision when its turn comes); rooms leave the queue when taken and join
/// its back when they change again, so every room gets its turn (round-robin). A room whose live frame was rendered and
/// that has not changed since earns one refinement frame, due once it has been quiet for the refinement delay.
/// </summary>
/// <remarks>
/// Pure bookkeeping on a <see cref="TimeProvider"/>: no threads, no timers, no host. Thread-safe; every member takes one
/// short lock.
/// </remarks>
/// <param name="refineDelay">How long a room must be quiet before its refinement frame is due.</param>
/// <param name="time">The clock the quiet time is measured on.</param>
public sealed class DirtyQueue(TimeSpan refineDelay, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<string> _dirty = new();
    private readonly List<string> _refine = [];
    private readonly Dictionary<string, RoomEntry> _rooms = new(StringComparer.Ordinal);

    /// <summary>Rooms waiting for a live frame.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _dirty.Count;
        }
    }

    /// <summary>Queues a room that changed (at the back, unless it is already queued) and drops its pending refinement.</summary>
    /// <param name="roomId">The room.</param>
    public void MarkDirty(string roomId)
    {
        lock (_gate)
        {
            var room = Entry(roomId);
            room.ChangedAt = time.GetTimestamp();
            if (room.RefinePending)
            {
                room.RefinePending = false;
                _refine.Remove(roomId);
            }
            room.Node ??= _dirty.AddLast(roomId);
        }
    }

    /// <summary>Whether a room waits for a live frame.</summary>
    /// <param name="roomId">The room.</param>
    /// <returns>True when it is queued.</returns>
    public bool IsDirty(string roomId)
    {
        lock (_gate) return _rooms.TryGetValue(roomId, out var room) && room.Node is not null;
    }

    /// <summary>The queued rooms, first queued first, left in the queue.</summary>
    /// <returns>A copy of the queue.</returns>
    public IReadOnlyList<string> Queued()
    {
        lock (_gate) return [.. _dirty];
    }

    /// <summary>Takes every queued room, first queued first; the queue is empty afterwards.</summary>
    /// <returns>The rooms in queue order.</returns>
    public IReadOnlyList<string> TakeAll()
    {
        lock (_gate)
        {
            List<string> taken = [.. _dirty];
            foreach (var id in taken) _rooms[id].Node = null;
            _dirty.Clear();
            return taken;
        }
    }

    /// <summary>Puts rooms that were taken but not rendered back at the front, in the given order, ahead of rooms that
    /// changed meanwhile (a room already queued again moves to its old place).</summary>
    /// <param name="roomIds">The rooms, first queued first.</param>
    public void PutBack(IReadOnlyList<string> roomIds)
    {
        ArgumentNullException.ThrowIfNull(roomIds);
        lock (_gate)
        {
            for (var i = roomIds.Count - 1; i >= 0; i--)
            {
                var room = Entry(roomIds[i]);
                if (room.Node is not null) _dirty.Remove(room.Node);
                room.Node = _dirty.AddFirst(roomIds[i]);
            }
        }
    }

    /// <summary>The newest revision of a room that got a frame (or a failure), 0 when none.</summary>
    /// <param name="roomId">The room.</param>
    /// <returns>The revision.</returns>
    public long LastRendered(string roomId)
    {
        lock (_gate) return _rooms.TryGetValue(roomId, out var room) ? room.LastRendered : 0;
    }

    /// <summary>
    /// Records that a revision of a room was rendered. A live frame (<paramref name="earnsRefinement"/>) of a room that
    /// has not changed since earns one refinement frame once the room is quiet.
    /// </summary>
    /// <param name="roomId">The room.</param>
    /// <param name="revision">The revision rendered.</param>
    /// <param name="earnsRefinement">True for a live frame at fewer steps than the refinement's.</param>
    public void Rendered(string roomId, long revision, bool earnsRefinement)
    {
        lock (_gate)
        {
            var room = Entry(roomId);
            room.LastRendered = Math.Max(room.LastRendered, revision);
            if (earnsRefinement && room.Node is null && !room.RefinePending)
            {
                room.RefinePending = true;
                _refine.Add(roomId);
            }
        }
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> rooms whose refinement is due (quiet for the refinement delay), in the order
    /// they earned it, skipping rooms <paramref name="busy"/> says are busy.
    /// </summary>
    /// <param name="max">Most rooms to take.</param>
    /// <param name="busy">Rooms that must wait (their earlier frames are still on their way).</param>
    /// <returns>The rooms taken, and how long until the next refinement not taken is due
    /// (<see cref="Timeout.InfiniteTimeSpan"/> when none waits for its quiet time).</returns>
    public (IReadOnlyList<string> Due, TimeSpan NextDue) TakeDueRefinements(int max, Func<string, bool> busy)
    {
        ArgumentNullException.ThrowIfNull(busy);
        var due = new List<string>();
        var nextDue = Timeout.InfiniteTimeSpan;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            for (var i = 0; i < _refine.Count && due.Count < max;)
            {
                var id = _refine[i];
                var quiet = time.GetElapsedTime(_rooms[id].ChangedAt, now);
                if (quiet < refineDelay)
                {
                    var wait = refineDelay - quiet;
                    if (nextDue == Timeout.InfiniteTimeSpan || wait < nextDue) nextDue = wait;
                    i++;
                }
                else if (busy(id))
                {
                    i++;
                }
                else
                {
                    _refine.RemoveAt(i);
                    _rooms[id].RefinePending = false;
                    due.Add(id);
                }
            }
        }
        return (due, nextDue);
    }

    private RoomEntry Entry(string roomId)
    {
        if (!_rooms.TryGetValue(roomId, out var room)) _rooms[roomId] = room = new RoomEntry { ChangedAt = time.GetTimestamp() };
        return room;
    }

    private sealed class RoomEntry
    {
        public LinkedListNode<string>? Node; // in the queue when not null
        public long ChangedAt;                // the clock's timestamp of its last change
        public long LastRendered;
        public bool RefinePending;
    }
}
