namespace SanaSprint.Web.Rooms;

/// <summary>A point of a stroke: canvas units and pen pressure.</summary>
/// <param name="X">Horizontal position in canvas units, 0 ≤ x ≤ the canvas width.</param>
/// <param name="Y">Vertical position in canvas units, 0 ≤ y ≤ the canvas height.</param>
/// <param name="Pressure">Pen pressure in [0, 1]; 0.5 is nominal (what a mouse reports).</param>
[GenerateSerializer, Immutable]
public readonly record struct CanvasPoint(float X, float Y, float Pressure);
