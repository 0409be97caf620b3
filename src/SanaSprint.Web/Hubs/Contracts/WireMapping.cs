using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Hubs;

/// <summary>Room events and views as the sketch hub's wire records: the only place where the two meet.</summary>
public static class WireMapping
{
    /// <summary>Describes the generator's model for the wire.</summary>
    public static ModelInfo ToWire(this GeneratorInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new(info.ModelName, info.IsDemo, info.DemoNotice, info.IsAvailable, info.UnavailableReason, [.. info.SupportedModes], info.Provider, info.ProviderNote);
    }

    /// <summary>Settings as sent to browsers.</summary>
    public static RoomSettings ToWire(this FrameSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new(settings.Steps, settings.Seed, settings.SeedLocked, settings.Mode, settings.Strength, settings.ControlScale, settings.PresetId);
    }

    /// <summary>Settings as a browser sent them, for the room's rules to check (null stays null, which the rules refuse).</summary>
    public static FrameSettings? ToDomain(this RoomSettings? settings) => settings is null ? null
        : new(settings.Steps, settings.Seed, settings.SeedLocked, settings.Mode, settings.Strength, settings.ControlScale, settings.PresetId);

    /// <summary>A stroke as sent to browsers.</summary>
    public static StrokeData ToWire(this StrokeSnapshot stroke)
    {
        ArgumentNullException.ThrowIfNull(stroke);
        return new(stroke.Id, stroke.OwnerId, stroke.Colour, stroke.Width, stroke.Points.ToWire(), stroke.Ended);
    }

    /// <summary>Points as sent to browsers.</summary>
    public static StrokePoint[] ToWire(this IReadOnlyList<CanvasPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var wire = new StrokePoint[points.Count];
        for (var i = 0; i < wire.Length; i++) wire[i] = new(points[i].X, points[i].Y, points[i].Pressure);
        return wire;
    }

    /// <summary>Points as a browser sent them, for the room's rules to check (null stays null, which the rules refuse).</summary>
    public static CanvasPoint[]? ToDomain(this StrokePoint[]? points)
    {
        if (points is null) return null;
        var domain = new CanvasPoint[points.Length];
        for (var i = 0; i < domain.Length; i++) domain[i] = new(points[i].X, points[i].Y, points[i].Pressure);
        return domain;
    }

    /// <summary>A participant as everyone sees it.</summary>
    /// <param name="participant">The participant.</param>
    /// <param name="access">Host, lock and watchers, for its role (null: a drawer).</param>
    public static ParticipantInfo ToWire(this Participant participant, RoomAccess? access = null)
    {
        ArgumentNullException.ThrowIfNull(participant);
        return new(participant.Id, participant.DisplayName, participant.Colour, participant.State, access?.RoleOf(participant.Id) ?? ParticipantRoles.Drawer);
    }

    /// <summary>A joiner's snapshot.</summary>
    /// <param name="view">The room as the joiner sees it.</param>
    /// <param name="model">The model behind the frames.</param>
    public static RoomSnapshot ToWire(this RoomView view, ModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new(view.RoomId, view.ParticipantId, view.Revision, view.CanvasWidth, view.CanvasHeight, [.. view.Strokes.Select(ToWire)],
            [.. view.Participants.Select(p => p.ToWire(view.Access))], view.Prompt, view.Settings.ToWire(), view.LastFrame, model, view.RejoinToken,
            view.PresenceVersion, view.Role, view.Access?.Locked ?? false, view.Access?.HostId, view.WatchId);
    }

    /// <summary>Presence as sent to the room.</summary>
    public static PresenceMessage ToWire(this PresenceChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Changed.ToWire(e.Access), [.. e.Present.Select(p => p.ToWire(e.Access))], e.PresenceVersion);
    }

    /// <summary>A lock or host change as sent to the room.</summary>
    public static AccessMessage ToWire(this AccessChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Access.HostId, e.Access.Locked, [.. e.Present.Select(p => p.ToWire(e.Access))], e.PresenceVersion, e.ByParticipantId);
    }

    /// <summary>A removal as sent to the removed connection.</summary>
    public static RemovedMessage ToWire(this ParticipantRemoved e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.ParticipantId, e.ByParticipantId, e.Message);
    }

    /// <summary>A prompt change as sent to the room.</summary>
    public static PromptChangedMessage ToWire(this PromptChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Prompt, e.Settings.ToWire(), e.ParticipantId, e.Revision);
    }

    /// <summary>A settings change as sent to the room.</summary>
    public static SettingsChangedMessage ToWire(this SettingsChanged e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Settings.ToWire(), e.ParticipantId, e.Revision);
    }

    /// <summary>Sends a room event to SignalR clients as its wire message.</summary>
    /// <param name="clients">The clients to tell (a group, or a group but one connection).</param>
    /// <param name="roomEvent">The event.</param>
    public static Task SendAsync(this ISketchClient clients, RoomEvent roomEvent)
    {
        ArgumentNullException.ThrowIfNull(clients);
        return roomEvent switch
        {
            StrokeBegun e => clients.StrokeBegun(new StrokeBegunMessage(e.StrokeId, e.OwnerId, e.Colour, e.Width, e.Revision)),
            PointsAppended e => clients.PointsAppended(new PointsAppendedMessage(e.StrokeId, e.Points.ToWire(), e.Revision)),
            StrokeEnded e => clients.StrokeEnded(new StrokeEndedMessage(e.StrokeId, e.Revision)),
            StrokesVisibilityChanged e => SendVisibilityAsync(clients, e),
            CanvasCleared e => clients.Cleared(new ClearedMessage(e.ParticipantId, e.Revision)),
            PromptChanged e => clients.PromptChanged(e.ToWire()),
            SettingsChanged e => clients.SettingsChanged(e.ToWire()),
            PresenceChanged e => clients.PresenceChanged(e.ToWire()),
            CursorMoved e => clients.CursorMoved(new CursorMessage(e.ParticipantId, e.X, e.Y)),
            AccessChanged e => clients.AccessChanged(e.ToWire()),
            ParticipantRemoved e => clients.Removed(e.ToWire()),
            _ => throw new ArgumentOutOfRangeException(nameof(roomEvent), roomEvent?.GetType().Name, "No wire message for this room event."),
        };
    }

    private static async Task SendVisibilityAsync(ISketchClient clients, StrokesVisibilityChanged e)
    {
        if (e.Hidden.Count > 0) await clients.StrokesRemoved(new StrokesRemovedMessage(e.Hidden, e.ParticipantId, e.Revision));
        if (e.Shown.Count > 0) await clients.StrokesRestored(new StrokesRestoredMessage([.. e.Shown.Select(ToWire)], e.VisibleOrder, e.ParticipantId, e.Revision));
    }
}
