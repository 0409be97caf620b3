using System.Text.Json;
using Microsoft.JSInterop;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Components.Room;

/// <summary>Opens rooms through <c>wwwroot/js/sketchCanvas.js</c>.</summary>
/// <param name="js">The circuit's JS runtime.</param>
public sealed class JsRoomConnectionFactory(IJSRuntime js) : IRoomConnectionFactory
{
    /// <summary>Path of the canvas module under the web root.</summary>
    public const string ModulePath = "./js/sketchCanvas.js";

    /// <inheritdoc />
    public async Task<IRoomConnection> ConnectAsync(string roomId, string displayName, RoomElements elements, CanvasTool tool, RoomState state)
    {
        ArgumentNullException.ThrowIfNull(elements);
        ArgumentNullException.ThrowIfNull(state);
        var module = await js.InvokeAsync<IJSObjectReference>("import", ModulePath);
        var bridge = DotNetObjectReference.Create(new RoomEventBridge(state));
        try
        {
            var room = await module.InvokeAsync<IJSObjectReference>("connect",
                new { canvas = elements.Canvas, cursors = elements.Cursors, frame = elements.Frame },
                new { roomId, displayName, hubUrl = SketchHub.Path, tool = new { mode = tool.Mode, colour = tool.Colour, size = tool.Size } },
                bridge);
            return new JsRoomConnection(module, room, bridge);
        }
        catch
        {
            bridge.Dispose();
            await module.DisposeAsync();
            throw;
        }
    }
}

/// <summary>Receives the canvas module's events and applies them to a <see cref="RoomState"/>.</summary>
/// <param name="state">The state to update.</param>
public sealed class RoomEventBridge(RoomState state)
{
    /// <summary>Called by <c>sketchCanvas.js</c> for every room event.</summary>
    /// <param name="kind">Event kind.</param>
    /// <param name="json">Payload.</param>
    [JSInvokable]
    public void OnRoomEvent(string kind, string json) => state.Apply(kind, json);
}

/// <summary>A joined room in this browser, driven through its JS object.</summary>
internal sealed class JsRoomConnection(IJSObjectReference module, IJSObjectReference room, DotNetObjectReference<RoomEventBridge> bridge) : IRoomConnection
{
    public Task UndoAsync() => room.InvokeVoidAsync("undo").AsTask();

    public Task RedoAsync() => room.InvokeVoidAsync("redo").AsTask();

    public Task ClearAsync() => room.InvokeVoidAsync("clear").AsTask();

    public Task SetToolAsync(CanvasTool tool) => room.InvokeVoidAsync("setTool", new { mode = tool.Mode, colour = tool.Colour, size = tool.Size }).AsTask();

    public Task SetPreferencesAsync(DrawingPreferences preferences) =>
        room.InvokeVoidAsync("setPreferences", new { overlay = preferences.Overlay, penOnly = preferences.PenOnly }).AsTask();

    public Task DownloadSketchAsync(PngText text, string fileName) =>
        room.InvokeVoidAsync("downloadSketch", JsonSerializer.Serialize(new { prompt = text.Prompt, seed = text.Seed, steps = text.Steps, model = text.Model }), fileName).AsTask();

    public async Task<bool> DownloadFrameAsync(string fileName) => await room.InvokeAsync<bool>("downloadFrame", fileName);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await room.InvokeVoidAsync("dispose");
            await room.DisposeAsync();
            await module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone; the browser closed the connection with the page.
        }
        finally
        {
            bridge.Dispose();
        }
    }
}
