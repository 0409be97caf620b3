namespace SanaSprint.Web.Rooms;

/// <summary>One stroke of a room, authoritative on the server. Mutated only under its room's lock.</summary>
/// <param name="id">Client-chosen id, unique in the room.</param>
/// <param name="ownerId">The participant who drew it; only they may extend, end, undo or redo it.</param>
/// <param name="colour">"#rrggbb".</param>
/// <param name="width">Nominal width in canvas units.</param>
public sealed class Stroke(string id, string ownerId, string colour, float width)
{
    private readonly HashSet<long> _clearedBy = [];

    /// <summary>Client-chosen id, unique in the room.</summary>
    public string Id { get; } = id;

    /// <summary>The participant who drew it.</summary>
    public string OwnerId { get; } = ownerId;

    /// <summary>"#rrggbb".</summary>
    public string Colour { get; } = colour;

    /// <summary>Nominal width in canvas units.</summary>
    public float Width { get; } = width;

    /// <summary>Points in drawing order.</summary>
    public List<CanvasPoint> Points { get; } = [];

    /// <summary>True once its owner ended it (or undid it while drawing).</summary>
    public bool Ended { get; set; }

    /// <summary>True while its owner's undo hides it.</summary>
    public bool Undone { get; set; }

    /// <summary>The clears (by action id) that currently hide it.</summary>
    public IReadOnlySet<long> ClearedBy => _clearedBy;

    /// <summary>Shown on the canvas: neither undone nor cleared.</summary>
    public bool Visible => !Undone && _clearedBy.Count == 0;

    internal bool AddClear(long clearId) => _clearedBy.Add(clearId);

    internal bool RemoveClear(long clearId) => _clearedBy.Remove(clearId);

    /// <summary>A copy of the stroke now. An ended stroke's points never change, so its copy is made once and shared.</summary>
    public StrokeSnapshot ToSnapshot()
    {
        if (!Ended) return new(Id, OwnerId, Colour, Width, [.. Points], false);
        return new(Id, OwnerId, Colour, Width, _frozen ??= [.. Points], true);
    }

    private CanvasPoint[]? _frozen;
}
