using Microsoft.AspNetCore.Components;

namespace SanaSprint.Web.Components.Room;

/// <summary>Brush or eraser, colour and size of the local pointer.</summary>
/// <param name="Mode">"brush" or "eraser".</param>
/// <param name="Colour">"#rrggbb" (ignored by the eraser).</param>
/// <param name="Size">Nominal width in canvas units.</param>
public sealed record CanvasTool(string Mode, string Colour, float Size)
{
    /// <summary>The tool a new page starts with.</summary>
    public static CanvasTool Default { get; } = new("brush", "#1f1f1f", 6f);

    /// <summary>True for the eraser.</summary>
    public bool IsEraser => Mode == "eraser";
}

/// <summary>The elements the canvas module drives.</summary>
/// <param name="Canvas">The sketch <c>canvas</c>.</param>
/// <param name="Cursors">The layer above it for others' cursors.</param>
/// <param name="Frame">The frame <c>img</c>.</param>
public sealed record RoomElements(ElementReference Canvas, ElementReference Cursors, ElementReference Frame);

/// <summary>Text stored in downloaded PNGs (tEXt chunks).</summary>
/// <param name="Prompt">Prompt.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Steps">Steps.</param>
/// <param name="Model">Model name.</param>
public sealed record PngText(string Prompt, long Seed, int Steps, string Model);

/// <summary>
/// The page's handle on the browser's room connection (<c>sketchCanvas.js</c>), which carries what must be fast in the
/// browser: strokes and the canvas commands (undo, redo, clear, tool), cursors and frames. Its events come back through
/// <see cref="RoomState"/>. Prompt and settings do not pass through it: the page sends them to the room directory.
/// </summary>
public interface IRoomConnection : IAsyncDisposable
{
    /// <summary>Undoes this participant's newest action.</summary>
    Task UndoAsync();

    /// <summary>Redoes this participant's newest undone action.</summary>
    Task RedoAsync();

    /// <summary>Clears the canvas (undoable by this participant).</summary>
    Task ClearAsync();

    /// <summary>Changes the local brush.</summary>
    Task SetToolAsync(CanvasTool tool);

    /// <summary>Tells the canvas whether it lies over the frame (overlay) and whether fingers stop drawing once a pen is in use.</summary>
    Task SetPreferencesAsync(DrawingPreferences preferences);

    /// <summary>Downloads the sketch as PNG with text chunks.</summary>
    Task DownloadSketchAsync(PngText text, string fileName);

    /// <summary>Downloads the frame on screen as PNG with text chunks; false when there is no frame yet.</summary>
    Task<bool> DownloadFrameAsync(string fileName);
}

/// <summary>Opens room connections; the default runs <c>sketchCanvas.js</c>, tests substitute a fake.</summary>
public interface IRoomConnectionFactory
{
    /// <summary>Connects the elements to a room and joins it as <paramref name="displayName"/>.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="displayName">This participant's name.</param>
    /// <param name="elements">Canvas, cursor layer and frame image.</param>
    /// <param name="tool">The initial brush.</param>
    /// <param name="state">Receives the room's events.</param>
    /// <returns>The connection (joined).</returns>
    Task<IRoomConnection> ConnectAsync(string roomId, string displayName, RoomElements elements, CanvasTool tool, RoomState state);
}
