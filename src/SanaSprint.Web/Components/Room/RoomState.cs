using System.Text.Json;
using System.Text.Json.Serialization;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Components.Room;

/// <summary>Where the browser's hub connection stands.</summary>
public enum RoomConnectionStatus
{
    /// <summary>Starting the connection or joining the room.</summary>
    Connecting,
    /// <summary>Joined; events flow.</summary>
    Connected,
    /// <summary>The connection dropped; retrying.</summary>
    Reconnecting,
    /// <summary>Closed for good (or the join failed).</summary>
    Disconnected,
}

/// <summary>Whether the picture on screen shows the room's newest revision.</summary>
public enum RenderStatus
{
    /// <summary>Nothing drawn yet and no frame.</summary>
    Idle,
    /// <summary>The room changed since the frame on screen; a newer frame is on its way.</summary>
    Rendering,
    /// <summary>The frame on screen shows the newest revision.</summary>
    UpToDate,
}

/// <summary>A frame as the page shows it: the frame's metadata (no bytes) plus the end-to-end time the browser measured.</summary>
/// <param name="Revision">Room revision it was rendered from.</param>
/// <param name="ContentType">Image type.</param>
/// <param name="Width">Pixels.</param>
/// <param name="Height">Pixels.</param>
/// <param name="Steps">sCM steps.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Prompt">Prompt the model saw.</param>
/// <param name="ModelName">Model.</param>
/// <param name="IsRefinement">True for the refinement frame.</param>
/// <param name="Timings">Server-side timings.</param>
/// <param name="EndToEndMs">From sending this browser's newest change the frame includes to the frame arriving; null when the frame includes none of this browser's changes.</param>
/// <param name="Bytes">Encoded size.</param>
/// <param name="Decoder">"preview" (the tiny autoencoder of live frames) or "full" (the DC-AE).</param>
public sealed record FrameReport(
    long Revision, string ContentType, int Width, int Height, int Steps, long Seed, string Prompt, string ModelName,
    bool IsRefinement, FrameTimings Timings, double? EndToEndMs, int Bytes, string Decoder = "full")
{
    /// <summary>The latency to show: end-to-end when measured here, else the server's part.</summary>
    public double DisplayMs => EndToEndMs ?? Timings.ServerMs;
}

/// <summary>
/// The room as one browser sees it, fed by the events <c>sketchCanvas.js</c> forwards (snapshot, frames, failures, errors,
/// render state, connection) and by the room directory's presence, prompt and settings events. Plain state: no JS, no
/// SignalR, so components and tests share it.
/// </summary>
public sealed class RoomState
{
    /// <summary>How many recent frame latencies the sparkline keeps.</summary>
    public const int LatencyHistoryLength = 40;

    /// <summary>JSON options of the events (camelCase, enums by name).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly List<double> _latencies = [];

    // The revision the prompt and settings on show come from: the snapshot (through the browser) and prompt and settings
    // events (from the server) arrive by different paths, so an older one never replaces a newer one.
    private long _settingsRevision = -1;

    // The presence count the participants on show come from, for the same reason: the snapshot comes through the browser
    // and presence events from the server, and presence does not bump the revision, so it has a count of its own.
    private long _presenceVersion = -1;

    /// <summary>Raised after every applied event.</summary>
    public event Action? Changed;

    /// <summary>The room id.</summary>
    public string RoomId { get; init; } = "";

    /// <summary>Connection state.</summary>
    public RoomConnectionStatus Connection { get; private set; } = RoomConnectionStatus.Connecting;

    /// <summary>Why the connection is down, when it is.</summary>
    public string? ConnectionMessage { get; private set; }

    /// <summary>This browser's participant id, once joined.</summary>
    public string? ParticipantId { get; private set; }

    /// <summary>Participants present.</summary>
    public IReadOnlyList<ParticipantInfo> Participants { get; private set; } = [];

    /// <summary>The room's prompt.</summary>
    public string Prompt { get; private set; } = "";

    /// <summary>The room's settings; null until joined.</summary>
    public RoomSettings? Settings { get; private set; }

    /// <summary>The model behind the frames, from the snapshot.</summary>
    public ModelInfo? Model { get; private set; }

    /// <summary>Canvas width in canvas units.</summary>
    public int CanvasWidth { get; private set; }

    /// <summary>Canvas height in canvas units.</summary>
    public int CanvasHeight { get; private set; }

    /// <summary>Newest room revision seen.</summary>
    public long Revision { get; private set; }

    /// <summary>Whether the picture is current.</summary>
    public RenderStatus Render { get; private set; } = RenderStatus.Idle;

    /// <summary>The frame on screen, or null.</summary>
    public FrameReport? LastFrame { get; private set; }

    /// <summary>Latencies of recent frames (ms), oldest first; at most <see cref="LatencyHistoryLength"/>.</summary>
    public IReadOnlyList<double> Latencies => [.. _latencies];

    /// <summary>The newest frame failure not yet followed by a frame, or null.</summary>
    public FrameFailedMessage? LastFailure { get; private set; }

    /// <summary>The newest rejected call of this browser, or null.</summary>
    public ErrorMessage? LastError { get; private set; }

    /// <summary>True once the snapshot arrived.</summary>
    public bool Joined => ParticipantId is not null && Settings is not null;

    /// <summary>True when this browser joined by the watch-only link (a watcher stays one).</summary>
    public bool IsWatcher { get; private set; }

    /// <summary>The room's host, or null while it has none.</summary>
    public string? HostId { get; private set; }

    /// <summary>True while the host has locked drawing.</summary>
    public bool Locked { get; private set; }

    /// <summary>The room's watch-only address to share (host and drawers), or null (watchers, or before joining).</summary>
    public string? WatchId { get; private set; }

    /// <summary>Why this browser is no longer in the room when the host removed it, else null.</summary>
    public RemovedMessage? Removed { get; private set; }

    /// <summary>This browser's role: "host", "drawer" or "watcher" (see <see cref="ParticipantRoles"/>).</summary>
    public string Role => IsWatcher ? ParticipantRoles.Watcher : ParticipantId is not null && ParticipantId == HostId ? ParticipantRoles.Host : ParticipantRoles.Drawer;

    /// <summary>True when this browser is the room's host (and still in it).</summary>
    public bool IsHost => Joined && Removed is null && Role == ParticipantRoles.Host;

    /// <summary>
    /// True when this browser may change the room now (the rule the server enforces, mirrored for the controls): the host
    /// always, a drawer while the room is unlocked, a watcher or a removed participant never.
    /// </summary>
    public bool CanDraw => Joined && Removed is null && (IsHost || (Role == ParticipantRoles.Drawer && !Locked));

    /// <summary>Applies one event forwarded by <c>sketchCanvas.js</c>.</summary>
    /// <param name="kind">snapshot, prompt, settings, frame, frameFailed, error, renderState or connection. Presence is not
    /// among them: the page takes it from the room directory (<see cref="ApplyPresence"/>).</param>
    /// <param name="json">The payload (hub message as JSON, frame images stripped).</param>
    /// <exception cref="ArgumentException">Unknown <paramref name="kind"/> or a payload that does not parse.</exception>
    public void Apply(string kind, string json)
    {
        try
        {
            switch (kind)
            {
                case "snapshot": ApplySnapshot(Parse<RoomSnapshot>(json)); break;
                case "prompt": ApplyPrompt(Parse<PromptChangedMessage>(json)); break;
                case "settings": ApplySettings(Parse<SettingsChangedMessage>(json)); break;
                case "frame": ApplyFrame(Parse<FrameReport>(json)); break;
                case "frameFailed": ApplyFrameFailed(Parse<FrameFailedMessage>(json)); break;
                case "error": ApplyError(Parse<ErrorMessage>(json)); break;
                case "renderState": ApplyRenderState(Parse<RenderStateEvent>(json)); break;
                case "connection": ApplyConnection(Parse<ConnectionEvent>(json)); break;
                default: throw new ArgumentException($"unknown room event kind '{kind}'.", nameof(kind));
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"room event '{kind}' has a payload that does not parse: {ex.Message}", nameof(json), ex);
        }
    }

    /// <summary>Takes a joiner's snapshot.</summary>
    public void ApplySnapshot(RoomSnapshot s)
    {
        ArgumentNullException.ThrowIfNull(s);
        ParticipantId = s.ParticipantId;
        IsWatcher = s.Role == ParticipantRoles.Watcher;
        WatchId = s.WatchId;
        if (s.PresenceVersion >= _presenceVersion)
        {
            Participants = s.Participants;
            HostId = s.HostId;
            Locked = s.Locked;
            _presenceVersion = s.PresenceVersion;
        }
        if (s.Revision >= _settingsRevision)
        {
            Prompt = s.Prompt;
            Settings = s.Settings;
            _settingsRevision = s.Revision;
        }
        Model = s.Model;
        CanvasWidth = s.CanvasWidth;
        CanvasHeight = s.CanvasHeight;
        Revision = Math.Max(Revision, s.Revision);
        Connection = RoomConnectionStatus.Connected;
        ConnectionMessage = null;
        if (s.LastFrame is { } f)
        {
            LastFrame = new FrameReport(f.Revision, f.ContentType, f.Width, f.Height, f.Steps, f.Seed, f.Prompt, f.ModelName, f.IsRefinement, f.Timings, null, 0, f.Decoder);
        }

        Render = LastFrame is null ? (s.Strokes.Count > 0 || Revision > 0 ? RenderStatus.Rendering : RenderStatus.Idle)
            : Revision > LastFrame.Revision ? RenderStatus.Rendering : RenderStatus.UpToDate;
        Raise();
    }

    /// <summary>Someone joined or left (an event of the room directory); a list older than the one on show is ignored.</summary>
    public void ApplyPresence(PresenceMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.PresenceVersion < _presenceVersion) return;
        Participants = m.Participants;
        // The host role can move with presence (a host gone for good is replaced); an absent host keeps it.
        if (m.Participants.FirstOrDefault(p => p.Role == ParticipantRoles.Host) is { } host) HostId = host.Id;
        _presenceVersion = m.PresenceVersion;
        Raise();
    }

    /// <summary>The host locked or unlocked drawing or handed the role on (an event of the room directory); an older one is ignored.</summary>
    public void ApplyAccess(AccessMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.PresenceVersion < _presenceVersion) return;
        Participants = m.Participants;
        HostId = m.HostId;
        Locked = m.Locked;
        _presenceVersion = m.PresenceVersion;
        Raise();
    }

    /// <summary>The host removed this browser's participant from the room.</summary>
    public void ApplyRemoved(RemovedMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        Removed = m;
        Raise();
    }

    /// <summary>The prompt (and maybe the seed) changed.</summary>
    public void ApplyPrompt(PromptChangedMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Revision >= _settingsRevision)
        {
            Prompt = m.Prompt;
            Settings = m.Settings;
            _settingsRevision = m.Revision;
        }
        Revision = Math.Max(Revision, m.Revision);
        Raise();
    }

    /// <summary>The settings changed.</summary>
    public void ApplySettings(SettingsChangedMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Revision >= _settingsRevision)
        {
            Settings = m.Settings;
            _settingsRevision = m.Revision;
        }
        Revision = Math.Max(Revision, m.Revision);
        Raise();
    }

    /// <summary>A frame is on screen.</summary>
    public void ApplyFrame(FrameReport f)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (LastFrame is not null && f.Revision < LastFrame.Revision) return; // older than the one shown
        LastFrame = f;
        Revision = Math.Max(Revision, f.Revision);
        Render = Revision > f.Revision ? RenderStatus.Rendering : RenderStatus.UpToDate;
        if (LastFailure is not null && LastFailure.Revision <= f.Revision) LastFailure = null;
        // A refinement re-renders a revision already timed; the sparkline tracks live frames only.
        if (!f.IsRefinement) _latencies.Add(f.DisplayMs);
        if (_latencies.Count > LatencyHistoryLength) _latencies.RemoveRange(0, _latencies.Count - LatencyHistoryLength);
        Raise();
    }

    /// <summary>A frame could not be produced.</summary>
    public void ApplyFrameFailed(FrameFailedMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        LastFailure = m;
        Raise();
    }

    /// <summary>This browser's last call was rejected.</summary>
    public void ApplyError(ErrorMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        LastError = m;
        Raise();
    }

    /// <summary>Clears <see cref="LastError"/> once shown.</summary>
    public void DismissError() => LastError = null;

    private void ApplyRenderState(RenderStateEvent e)
    {
        Revision = Math.Max(Revision, e.Revision);
        Render = e.State;
        Raise();
    }

    private void ApplyConnection(ConnectionEvent e)
    {
        Connection = e.State switch
        {
            "connected" => RoomConnectionStatus.Connected,
            "reconnecting" => RoomConnectionStatus.Reconnecting,
            "connecting" => RoomConnectionStatus.Connecting,
            _ => RoomConnectionStatus.Disconnected,
        };
        ConnectionMessage = e.Message;
        Raise();
    }

    /// <summary>Marks the connection as failed (the join threw).</summary>
    /// <param name="message">Why.</param>
    public void Fail(string message)
    {
        Connection = RoomConnectionStatus.Disconnected;
        ConnectionMessage = message;
        Raise();
    }

    private void Raise() => Changed?.Invoke();

    private static T Parse<T>(string json) => JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException("payload is null.");

    private sealed record RenderStateEvent(RenderStatus State, long Revision, long FrameRevision);

    private sealed record ConnectionEvent(string State, string? Message);
}
