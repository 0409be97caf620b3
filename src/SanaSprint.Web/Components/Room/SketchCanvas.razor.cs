using Microsoft.AspNetCore.Components;

namespace SanaSprint.Web.Components.Room;

/// <summary>
/// The shared sketch: a toolbar (brush or eraser, colour, size, overlay and pen-only toggles, undo, redo, clear) above
/// the <c>canvas</c> that <c>sketchCanvas.js</c> draws on. Pointer input never round-trips through the server circuit;
/// this component only holds the tool and raises the toolbar's commands and preference changes.
/// </summary>
public partial class SketchCanvas
{
    /// <summary>The colours offered as swatches.</summary>
    public static readonly IReadOnlyList<string> Palette =
        ["#1f1f1f", "#6b7280", "#dc2626", "#ea580c", "#ca8a04", "#16a34a", "#0891b2", "#2563eb", "#7c3aed", "#db2777"];

    private ElementReference _canvas;
    private ElementReference _cursors;
    private bool _confirmingClear;

    /// <summary>The local brush.</summary>
    /// <remarks>Defaults to <see cref="CanvasTool.Default"/> (black brush, size 6).</remarks>
    [Parameter]
    public CanvasTool Tool { get; set; } = CanvasTool.Default;

    /// <summary>Raised when the user picks another mode, colour or size.</summary>
    [Parameter]
    public EventCallback<CanvasTool> ToolChanged { get; set; }

    /// <summary>This browser's overlay and pen preferences, shown as the toolbar's toggles.</summary>
    /// <remarks>Defaults to <see cref="DrawingPreferences.Default"/>.</remarks>
    [Parameter]
    public DrawingPreferences Preferences { get; set; } = DrawingPreferences.Default;

    /// <summary>Raised when the user toggles the overlay or pen-only mode, or moves the overlay's opacity.</summary>
    [Parameter]
    public EventCallback<DrawingPreferences> PreferencesChanged { get; set; }

    /// <summary>Raised by the undo button.</summary>
    [Parameter]
    public EventCallback OnUndo { get; set; }

    /// <summary>Raised by the redo button.</summary>
    [Parameter]
    public EventCallback OnRedo { get; set; }

    /// <summary>Raised when the user confirmed clearing the canvas.</summary>
    [Parameter]
    public EventCallback OnClear { get; set; }

    /// <summary>Disables the tools (not joined yet, or <see cref="ReadOnly"/>).</summary>
    /// <remarks>Defaults to <c>false</c>.</remarks>
    [Parameter]
    public bool Disabled { get; set; }

    /// <summary>
    /// Shows the room without letting this person change it (a watcher, a drawer while the host has locked drawing, or
    /// a removed participant): <see cref="ReadOnlyReason"/> is shown over the canvas instead of the joining spinner (the
    /// page disables the tools with <see cref="Disabled"/>). The
    /// canvas module ignores pointer input on its own, from the same roles the server enforces.
    /// </summary>
    /// <remarks>Defaults to <c>false</c>.</remarks>
    [Parameter]
    public bool ReadOnly { get; set; }

    /// <summary>Why the canvas is read-only, shown over it.</summary>
    /// <remarks>Defaults to "Watching".</remarks>
    [Parameter]
    public string ReadOnlyReason { get; set; } = "Watching";

    private string CanvasClass => ReadOnly ? "sketch-canvas-element read-only" : Disabled ? "sketch-canvas-element connecting" : "sketch-canvas-element";

    /// <summary>The canvas element, for the canvas module.</summary>
    public ElementReference CanvasElement => _canvas;

    /// <summary>The cursor layer element, for the canvas module.</summary>
    public ElementReference CursorLayer => _cursors;

    private Task SetModeAsync(string? mode) => ChangeToolAsync(Tool with { Mode = mode == "eraser" ? "eraser" : "brush" });

    private Task SetColourAsync(string colour) => ChangeToolAsync(Tool with { Mode = "brush", Colour = colour.ToLowerInvariant() });

    private Task SetSizeAsync(float size) => ChangeToolAsync(Tool with { Size = Math.Clamp(size, 1f, 48f) });

    private async Task ChangeToolAsync(CanvasTool tool)
    {
        Tool = tool;
        await ToolChanged.InvokeAsync(tool);
    }

    private Task ToggleOverlayAsync() => ChangePreferencesAsync(Preferences with { Overlay = !Preferences.Overlay });

    private Task SetOverlayOpacityAsync(int percent) =>
        ChangePreferencesAsync(Preferences with { OverlayOpacity = Math.Clamp(percent, DrawingPreferences.MinOpacity, DrawingPreferences.MaxOpacity) });

    private Task TogglePenOnlyAsync() => ChangePreferencesAsync(Preferences with { PenOnly = !Preferences.PenOnly });

    private async Task ChangePreferencesAsync(DrawingPreferences preferences)
    {
        Preferences = preferences;
        await PreferencesChanged.InvokeAsync(preferences);
    }

    private async Task ConfirmClearAsync()
    {
        _confirmingClear = false;
        await OnClear.InvokeAsync();
    }
}
