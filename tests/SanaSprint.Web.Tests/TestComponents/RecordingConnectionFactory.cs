using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.TestComponents;

/// <summary>
/// Stands in for the browser's room connection: "joins" by applying a snapshot from a real <see cref="RoomService"/> to the
/// page's <see cref="RoomState"/>, and records every command the page sends.
/// </summary>
public sealed class RecordingConnectionFactory : IRoomConnectionFactory
{
    /// <summary>The room service whose snapshot the join returns; set by the test.</summary>
    public RoomService? Rooms { get; set; }

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
        if (Rooms is not null)
        {
            var snapshot = Rooms.GetSnapshot(roomId, model) with { ParticipantId = "p1" };
            state.ApplySnapshot(snapshot);
        }

        Last = new RecordingConnection(state);
        return Task.FromResult<IRoomConnection>(Last);
    }
}

/// <summary>Records commands; echoes prompt and settings back into the state as the hub would.</summary>
/// <param name="state">The page's state.</param>
public sealed class RecordingConnection(RoomState state) : IRoomConnection
{
    private long _revision = 100;

    /// <summary>Every command, in order, e.g. "SetPrompt", "Undo".</summary>
    public List<string> Calls { get; } = [];

    /// <summary>Prompts sent.</summary>
    public List<string> Prompts { get; } = [];

    /// <summary>Settings sent.</summary>
    public List<RoomSettings> Settings { get; } = [];

    /// <summary>Tools set.</summary>
    public List<CanvasTool> Tools { get; } = [];

    /// <summary>True once disposed.</summary>
    public bool Disposed { get; private set; }

    /// <inheritdoc />
    public Task SetPromptAsync(string prompt)
    {
        Calls.Add("SetPrompt");
        Prompts.Add(prompt);
        state.ApplyPrompt(new PromptChangedMessage(prompt, state.Settings!, "p1", ++_revision));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task SetSettingsAsync(RoomSettings settings)
    {
        Calls.Add("SetSettings");
        Settings.Add(settings);
        state.ApplySettings(new SettingsChangedMessage(settings, "p1", ++_revision));
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
        return ValueTask.CompletedTask;
    }

    private Task Record(string call)
    {
        Calls.Add(call);
        return Task.CompletedTask;
    }
}
