using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Components.Pages.Room;

/// <summary>
/// A sketch room: the shared canvas beside the live frame, with prompt, style preset, settings, participants and latency.
/// What must be fast runs in the browser over the hub (<c>sketchCanvas.js</c>: strokes, cursors, frames). Prompt, settings
/// and presets go from this component straight to <see cref="IRoomDirectory"/> on the server, as the participant the
/// browser joined as, and the page renders them, and who is present, from the directory's events. So do the host's
/// controls (lock, remove, hand over); the controls a person may not use are disabled, and the server refuses them anyway.
/// The page's address is the room's id (the drawing invite) or its watch-only address: a watcher's page never shows the
/// room's id.
/// </summary>
public partial class Room : IAsyncDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private RoomState _state = new();
    private IRoomConnection? _connection;
    private SketchCanvas? _canvas;
    private FrameView? _frame;
    private CanvasTool _tool = CanvasTool.Default;
    private DrawingPreferences _preferences = DrawingPreferences.Default;
    private IReadOnlyList<StylePreset> _presets = [];
    private bool _exists;
    private bool _presetApplied;
    private IDisposable? _subscription;
    private RoomAddress? _address;

    /// <summary>The room's address from the URL: its id, or its watch-only address.</summary>
    [Parameter]
    public string RoomId { get; set; } = "";

    /// <summary>A preset to apply once joined (<c>?preset=</c>, set by the gallery's "Apply").</summary>
    [SupplyParameterFromQuery(Name = "preset")]
    public string? PresetQuery { get; set; }

    /// <summary>A display name to join with (<c>?name=</c>); otherwise the one saved in this browser, or a guest name.</summary>
    [SupplyParameterFromQuery(Name = "name")]
    public string? NameQuery { get; set; }

    /// <summary>This browser's gallery identity (its kept frames and the rooms it joined), or null when it has none.</summary>
    [CascadingParameter]
    public GalleryOwner? Owner { get; set; }

    [Inject] private IRoomDirectory Rooms { get; set; } = default!;
    [Inject] private IModelInfo Generator { get; set; } = default!;
    [Inject] private IGalleryStore Gallery { get; set; } = default!;
    [Inject] private IRoomConnectionFactory Connections { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    /// <summary>The room as this page sees it (for tests and diagnostics).</summary>
    public RoomState State => _state;

    private string ShortId => RoomId.Length > 8 ? RoomId[..8] : RoomId;

    // The generator's live description (it may become available after the page opened), not the one in the snapshot.
    private ModelInfo Model => SketchHub.DescribeModel(Generator.Info);

    private string ConnectionText => _state.Connection switch
    {
        RoomConnectionStatus.Connected => "connected",
        RoomConnectionStatus.Reconnecting => "reconnecting…",
        RoomConnectionStatus.Disconnected => "offline",
        _ => "connecting…",
    };

    private Color ConnectionColour => _state.Connection switch
    {
        RoomConnectionStatus.Connected => Color.Success,
        RoomConnectionStatus.Disconnected => Color.Error,
        _ => Color.Warning,
    };

    /// <inheritdoc />
    protected override async Task OnInitializedAsync()
    {
        _address = await Rooms.ResolveAsync(RoomId, _disposed.Token);
        _exists = _address is not null;
        _state = new RoomState { RoomId = RoomId };
        _state.Changed += OnStateChanged;
        if (_address is not null) _subscription = Rooms.Subscribe(_address.RoomId, e => InvokeAsync(() => OnRoomEvent(e)));
        _presets = await Gallery.GetPresetsAsync(Owner?.Id, _disposed.Token);
    }

    /// <inheritdoc />
    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender || !_exists || _canvas is null || _frame is null) return;
        try
        {
            var name = await ResolveDisplayNameAsync();
            await LoadPreferencesAsync();
            var elements = new RoomElements(_canvas.CanvasElement, _canvas.CursorLayer, _frame.ImageElement);
            _connection = await Connections.ConnectAsync(RoomId, name, elements, _tool, _state);
            await _connection.SetPreferencesAsync(_preferences);
            await RememberRoomAsync();
            // A member of the room from now on: it sees the frames kept here.
            if (Owner is not null) await Gallery.AddMemberAsync(_address?.RoomId ?? RoomId, Owner.Id, _disposed.Token);
            await ApplyPresetQueryAsync();
        }
        catch (JSDisconnectedException)
        {
            // The user left before the room opened.
        }
        catch (Exception ex) when (ex is JSException or InvalidOperationException)
        {
            _state.Fail(ex.Message);
            Snackbar.Add($"Could not join the room: {ex.Message}", Severity.Error);
        }
    }

    /// <summary>Presence, prompt and settings come from the room itself, not through the browser.</summary>
    private void OnRoomEvent(RoomEvent e)
    {
        switch (e)
        {
            case PresenceChanged p: _state.ApplyPresence(p.ToWire()); break;
            case PromptChanged p: _state.ApplyPrompt(p.ToWire()); break;
            case SettingsChanged s: _state.ApplySettings(s.ToWire()); break;
            case AccessChanged a: _state.ApplyAccess(a.ToWire()); break;
            case ParticipantRemoved r when r.ParticipantId == _state.ParticipantId: _state.ApplyRemoved(r.ToWire()); break;
        }
    }

    private void OnStateChanged()
    {
        if (_state.LastError is { } error)
        {
            _state.DismissError();
            _ = InvokeAsync(() => Snackbar.Add(error.Message, Severity.Warning));
        }

        _ = InvokeAsync(StateHasChanged);
    }

    private async Task<string> ResolveDisplayNameAsync()
    {
        if (!string.IsNullOrWhiteSpace(NameQuery)) return NameQuery.Trim();
        string? saved = null;
        try
        {
            saved = await JS.InvokeAsync<string?>("localStorage.getItem", RecentRooms.DisplayNameKey);
        }
        catch (JSException)
        {
            // Storage disabled: fall through to a guest name.
        }

        if (!string.IsNullOrWhiteSpace(saved)) return saved.Trim();
        var guest = $"Guest {Random.Shared.Next(1000, 10000)}";
        await TrySetItemAsync(RecentRooms.DisplayNameKey, guest);
        return guest;
    }

    private async Task LoadPreferencesAsync()
    {
        try
        {
            _preferences = DrawingPreferences.Parse(await JS.InvokeAsync<string?>("localStorage.getItem", DrawingPreferences.StorageKey));
        }
        catch (JSException)
        {
            // Storage disabled: the defaults apply.
        }

        if (_preferences != DrawingPreferences.Default) StateHasChanged();
    }

    private async Task SetPreferencesAsync(DrawingPreferences preferences)
    {
        _preferences = preferences;
        await TrySetItemAsync(DrawingPreferences.StorageKey, preferences.Serialize());
        if (_connection is not null) await _connection.SetPreferencesAsync(preferences);
    }

    private async Task RememberRoomAsync()
    {
        try
        {
            var json = await JS.InvokeAsync<string?>("localStorage.getItem", RecentRooms.StorageKey);
            var list = RecentRooms.Parse(json);
            await TrySetItemAsync(RecentRooms.StorageKey, RecentRooms.Serialize(RecentRooms.Add(list, RoomId, _state.Prompt, DateTimeOffset.UtcNow)));
        }
        catch (JSException)
        {
            // Recent rooms are a convenience only.
        }
    }

    private async Task TrySetItemAsync(string key, string value)
    {
        try
        {
            await JS.InvokeVoidAsync("localStorage.setItem", key, value);
        }
        catch (JSException)
        {
            // Storage disabled.
        }
    }

    private async Task ApplyPresetQueryAsync()
    {
        if (_presetApplied || string.IsNullOrEmpty(PresetQuery)) return;
        _presetApplied = true;
        await ApplyPresetByIdAsync(PresetQuery);
    }

    /// <summary>This browser's participant, once joined.</summary>
    private RoomCaller? Caller => _state.ParticipantId is { } id && _address is not null ? new RoomCaller(_address.RoomId, id) : null;

    private string RoleText => _state.Role switch
    {
        ParticipantRoles.Watcher => "watching",
        ParticipantRoles.Host => "host",
        _ => _state.Locked ? "drawing locked" : "drawing",
    };

    private string ReadOnlyReason => _state.Removed is not null ? "Removed by the host"
        : _state.IsWatcher ? "Watching: this link cannot draw"
        : "The host has locked drawing";

    /// <summary>The watch-only link: the room's watch-only address for the host and drawers, this page's own for a watcher.</summary>
    private string? WatchLink => _state.WatchId is { } watchId ? Navigation.ToAbsoluteUri($"/room/{watchId}").ToString()
        : _state.IsWatcher ? Navigation.ToAbsoluteUri($"/room/{RoomId}").ToString() : null;

    private Task SetLockedAsync(bool locked) =>
        Caller is { } caller ? SendAsync(() => Rooms.SetLockedAsync(caller, locked, _disposed.Token).AsTask()) : Task.CompletedTask;

    private Task HandOverHostAsync(string participantId) =>
        Caller is { } caller ? SendAsync(() => Rooms.HandOverHostAsync(caller, participantId, _disposed.Token).AsTask()) : Task.CompletedTask;

    private Task RemoveParticipantAsync(string participantId) =>
        Caller is { } caller ? SendAsync(() => Rooms.RemoveParticipantAsync(caller, participantId, _disposed.Token).AsTask()) : Task.CompletedTask;

    private Task SetPromptAsync(string prompt) =>
        Caller is { } caller ? SendAsync(() => Rooms.SetPromptAsync(caller, prompt, _disposed.Token).AsTask()) : Task.CompletedTask;

    private Task PushSettingsAsync(RoomSettings settings) =>
        Caller is { } caller ? SendAsync(() => Rooms.SetSettingsAsync(caller, settings.ToDomain(), _disposed.Token).AsTask()) : Task.CompletedTask;

    private async Task ApplyPresetByIdAsync(string? presetId)
    {
        if (Caller is not { } caller || _state.Settings is not { } current) return;
        var preset = presetId is null ? null : await Gallery.FindPresetAsync(presetId, Owner?.Id, _disposed.Token);
        if (preset is null)
        {
            Snackbar.Add($"Unknown preset '{presetId}'.", Severity.Warning);
            return;
        }

        // One change: the preset's settings and its subject together.
        await SendAsync(() => Rooms.ApplyPresetAsync(caller, preset.ApplyTo(current.ToDomain()!, Model.SupportedModes.ToArray()), preset.Subject, _disposed.Token).AsTask());
    }

    /// <summary>Sends a change; a refusal is shown as the hub's errors are.</summary>
    private async Task SendAsync(Func<Task> change)
    {
        try
        {
            await change();
        }
        catch (RoomException ex)
        {
            Snackbar.Add(ex.Message, Severity.Warning);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // The page closed.
        }
    }

    private async Task SetToolAsync(CanvasTool tool)
    {
        _tool = tool;
        if (_connection is not null) await _connection.SetToolAsync(tool);
    }

    private Task UndoAsync() => _connection?.UndoAsync() ?? Task.CompletedTask;

    private Task RedoAsync() => _connection?.RedoAsync() ?? Task.CompletedTask;

    private Task ClearAsync() => _connection?.ClearAsync() ?? Task.CompletedTask;

    private Task CopyInviteAsync() => CopyLinkAsync(Navigation.ToAbsoluteUri($"/room/{RoomId}").ToString(), "Invite link copied");

    private Task CopyWatchLinkAsync() => WatchLink is { } link ? CopyLinkAsync(link, "Watch-only link copied") : Task.CompletedTask;

    private async Task CopyLinkAsync(string link, string copied)
    {
        try
        {
            await JS.InvokeVoidAsync("navigator.clipboard.writeText", link);
            Snackbar.Add(copied, Severity.Success);
        }
        catch (JSException)
        {
            Snackbar.Add($"Share this link: {link}", Severity.Info);
        }
    }

    private async Task DownloadSketchAsync()
    {
        if (_connection is null || _state.Settings is not { } s) return;
        var prompt = Gallery.ComposePrompt(_state.Prompt, s.PresetId);
        await _connection.DownloadSketchAsync(new PngText(prompt, s.Seed, s.Steps, Model.ModelName), $"sanasprint-sketch-{ShortId}-r{_state.Revision}.png");
    }

    /// <summary>The preview autoencoder's pixels are for the live loop: downloads and kept results wait for the room's
    /// full DC-AE frame (the refinement that follows every preview frame once the room is quiet).</summary>
    private const string WaitingForFullFrame = "Waiting for the full-quality frame (the live frame is a quick preview decode)";

    private bool ShowsPreviewFrame => _state.LastFrame is { Decoder: PreviewDecoder };

    private bool ShowsFullFrame => _state.LastFrame is not null && !ShowsPreviewFrame;

    private const string PreviewDecoder = "preview";

    private async Task DownloadFrameAsync()
    {
        if (_connection is null || !ShowsFullFrame || _state.LastFrame is not { } f) return;
        await _connection.DownloadFrameAsync($"sanasprint-frame-{ShortId}-r{f.Revision}.png");
    }

    private async Task KeepFrameAsync()
    {
        var frame = (await Rooms.GetViewAsync(_address?.RoomId ?? RoomId, _disposed.Token)).LastFrame;
        if (frame is null)
        {
            Snackbar.Add("No frame to keep yet.", Severity.Info);
            return;
        }
        if (frame.Decoder == PreviewDecoder)
        {
            Snackbar.Add("The full-quality frame is still on its way; keep it in a moment.", Severity.Info);
            return;
        }

        if (Owner is null)
        {
            Snackbar.Add("This browser has no gallery identity (its cookie was refused), so it cannot keep frames.", Severity.Warning);
            return;
        }

        await Gallery.KeepResultAsync(new KeptResult
        {
            Id = "",
            RoomId = _address?.RoomId ?? RoomId,
            Image = frame.Image,
            ContentType = frame.ContentType,
            Prompt = frame.Prompt,
            Seed = frame.Seed,
            Steps = frame.Steps,
            Mode = _state.Settings?.Mode ?? GuidanceMode.Text,
            Model = frame.ModelName,
            Revision = frame.Revision,
        }, Owner.Id, _disposed.Token);
        Snackbar.Add("Frame kept in the gallery", Severity.Success);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _state.Changed -= OnStateChanged;
        _subscription?.Dispose();
        await _disposed.CancelAsync();
        _disposed.Dispose();
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
