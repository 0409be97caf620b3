using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.TestComponents;

/// <summary>
/// Stands in for the browser's room connection: joins the real rooms as a session of its own and applies the snapshot to
/// the page's <see cref="RoomState"/>, records every command the page sends through it, and records the prompt and
/// settings changes the room makes (the page sends those to the room directory itself).
/// </summary>
public sealed class RecordingConnectionFactory : IRoomConnectionFactory
{
    private int _sessions;

    /// <summary>The rooms the join joins; set by the test.</summary>
    public SessionRooms? Rooms { get; set; }

    /// <summary>The connection opened last.</summary>
    public RecordingConnection? Last { get; private set; }

    /// <summary>The name the page joined with.</summary>
    public string? DisplayName { get; private set; }

    /// <summary>The state the page handed over.</summary>
    public RoomState? State { get; private set; }

    /// <inheritdoc />
    public Task<IRoomConnection> ConnectAsync(string roomId, string displayName, RoomElements elements, CanvasTool tool, RoomState state)
    {
        DisplayName = displayName;
        State = state;
        var model = new ModelInfo("stub", false, null, true, null, [Inference.Pipeline.GuidanceMode.Text, Inference.Pipeline.GuidanceMode.ControlNet, Inference.Pipeline.GuidanceMode.Img2Img], "CPU");
        Last = new RecordingConnection();
        if (Rooms is not null)
        {
            Last.Listen(Rooms.Directory.Subscribe(roomId, e => Last.Record(e)));
            var (view, _) = Rooms.Admit(Rooms.Reserve(roomId, $"page-{++_sessions}", displayName));
            state.ApplySnapshot(view.ToWire(model));
        }

        return Task.FromResult<IRoomConnection>(Last);
    }
}

/// <summary>Records commands, and the room's prompt and settings changes.</summary>
public sealed class RecordingConnection : IRoomConnection
{
    private IDisposable? _listening;

    /// <summary>Every command through the connection, in order, e.g. "Undo".</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Prompts the room took (from the page or anyone else).</summary>
    public List<string> Prompts { get; } = [];

    /// <summary>Settings the room took.</summary>
    public List<FrameSettings> Settings { get; } = [];

    /// <summary>Tools set.</summary>
    public List<CanvasTool> Tools { get; } = [];

    /// <summary>Drawing preferences set, in order (kept apart from <see cref="Calls"/>: the page sets them on every join).</summary>
    public List<DrawingPreferences> Preferences { get; } = [];

    /// <summary>True once disposed.</summary>
    public bool Disposed { get; private set; }

    internal void Listen(IDisposable subscription) => _listening = subscription;

    internal Task Record(RoomEvent e)
    {
        switch (e)
        {
            case PromptChanged p: Prompts.Add(p.Prompt); break;
            case SettingsChanged s: Settings.Add(s.Settings); break;
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task UndoAsync() => Record("Undo");

    /// <inheritdoc />
    public Task RedoAsync() => Record("Redo");

    /// <inheritdoc />
    public Task ClearAsync() => Record("Clear");

    /// <inheritdoc />
    public Task SetToolAsync(CanvasTool tool)
    {
        Tools.Add(tool);
        return Record("SetTool");
    }

    /// <inheritdoc />
    public Task SetPreferencesAsync(DrawingPreferences preferences)
    {
        Preferences.Add(preferences);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DownloadSketchAsync(PngText text, string fileName) => Record("DownloadSketch");

    /// <inheritdoc />
    public Task<bool> DownloadFrameAsync(string fileName)
    {
        Calls.Add("DownloadFrame");
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Disposed = true;
        _listening?.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task Record(string call)
    {
        Calls.Add(call);
        return Task.CompletedTask;
    }
}
