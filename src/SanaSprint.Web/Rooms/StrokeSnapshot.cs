namespace SanaSprint.Web.Rooms;

/// <summary>A copy of a stroke at one moment (views, render state, undo and redo events).</summary>
/// <param name="Id">Client-chosen stroke id, unique in the room.</param>
/// <param name="OwnerId">The participant who drew it.</param>
/// <param name="Colour">"#rrggbb".</param>
/// <param name="Width">Nominal width in canvas units.</param>
/// <param name="Points">Points in drawing order.</param>
/// <param name="Ended">True once its owner ended it; its points never change after that.</param>
[GenerateSerializer, Immutable]
public sealed record StrokeSnapshot(string Id, string OwnerId, string Colour, float Width, IReadOnlyList<CanvasPoint> Points, bool Ended);
