namespace SanaSprint.Web.Rooms;

/// <summary>An undoable action of one participant.</summary>
public abstract record RoomAction;

/// <summary>Drew a stroke.</summary>
/// <param name="StrokeId">The stroke drawn.</param>
public sealed record DrawAction(string StrokeId) : RoomAction;

/// <summary>Cleared the canvas, hiding these strokes.</summary>
/// <param name="ClearId">The clear's id in its room.</param>
/// <param name="StrokeIds">The strokes it hid.</param>
public sealed record ClearAction(long ClearId, IReadOnlyList<string> StrokeIds) : RoomAction;

/// <summary>
/// One participant's undo and redo stacks (newest last), bounded in depth. Only the stacks: what an action does to the
/// canvas, and which strokes can be dropped when an action leaves the stacks, is the room editor's business.
/// </summary>
/// <param name="maxDepth">Most undoable actions kept; pushing one more makes the oldest permanent.</param>
public sealed class UndoHistory(int maxDepth)
{
    private readonly LinkedList<RoomAction> _undo = new();
    private readonly List<RoomAction> _redo = [];

    /// <summary>How many actions the history keeps (undoable and redoable together).</summary>
    internal int MaxDepth => maxDepth;

    /// <summary>Undoable actions, oldest first.</summary>
    public IEnumerable<RoomAction> UndoActions => _undo;

    /// <summary>Redoable actions, oldest first (the next redo is the last).</summary>
    public IReadOnlyList<RoomAction> RedoActions => _redo;

    /// <summary>Records a new action: the redo stack is dropped, and the oldest action leaves when the stack is full.</summary>
    /// <param name="action">The action.</param>
    /// <returns>The dropped redo actions and the actions that became permanent, for the caller to let go of their strokes.</returns>
    public (IReadOnlyList<RoomAction> DroppedRedo, IReadOnlyList<RoomAction> Permanent) Push(RoomAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var dropped = DropRedo();
        _undo.AddLast(action);
        List<RoomAction> permanent = [];
        while (_undo.Count > maxDepth)
        {
            permanent.Add(_undo.First!.Value);
            _undo.RemoveFirst();
        }
        return (dropped, permanent);
    }

    /// <summary>Moves the newest action to the redo stack.</summary>
    /// <returns>The action to undo, or null when there is none.</returns>
    public RoomAction? Undo()
    {
        if (_undo.Last is not { } node) return null;
        _undo.RemoveLast();
        _redo.Add(node.Value);
        return node.Value;
    }

    /// <summary>Moves the newest undone action back to the undo stack.</summary>
    /// <returns>The action to redo, or null when there is none.</returns>
    public RoomAction? Redo()
    {
        if (_redo.Count == 0) return null;
        var action = _redo[^1];
        _redo.RemoveAt(_redo.Count - 1);
        _undo.AddLast(action);
        return action;
    }

    /// <summary>Empties the redo stack (a new action, or the participant left).</summary>
    /// <returns>The actions that can no longer be redone.</returns>
    public IReadOnlyList<RoomAction> DropRedo()
    {
        if (_redo.Count == 0) return [];
        var dropped = _redo.ToList();
        _redo.Clear();
        return dropped;
    }
}
