using Microsoft.Extensions.Options;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Observability;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// One room of a deployment (see <see cref="IRoomGrain"/>): plumbing around <see cref="RoomEditor"/>, as
/// <see cref="LocalRoomDirectory"/> is in one process. The grain's turn is the room's lock; the rules stay in the editor.
/// </summary>
/// <remarks>
/// <para>Fan-out: each web node with sessions or page subscribers in the room subscribes an <see cref="IRoomObserver"/>
/// and renews it within <see cref="ObserverLifetime"/>; every event is awaited on every observer before the next one is
/// sent, so each node sees the room's events in the room's order.</para>
/// <para>Watchdog: each revision bump is dispatched to the room's <see cref="IRendererGrain"/> (one call in flight, the
/// newest revision wins). When no frame at or above the dispatched revision arrives within
/// <see cref="DeploymentOptions.FrameDeadline"/>, the revision is dispatched again (Orleans places the renderer anew when
/// its silo died); when no silo that hosts renderers is active, the room is told "no GPU worker is up" and drawing goes on.</para>
/// <para>Ghosts: the grain records each session's web silo; participants whose silo membership declares dead, or (after
/// the room was activated anew) whose session no live node claims within <see cref="ObserverLifetime"/>, are marked Left.</para>
/// </remarks>
public sealed partial class RoomGrain : Grain, IRoomGrain
{
    /// <summary>The service key of the clock the room's watchdog and observer expiry read (tests replace it).</summary>
    public const string ClockKey = "rooms";

    /// <summary>How long a node's subscription lasts without renewal.</summary>
    public static readonly TimeSpan ObserverLifetime = TimeSpan.FromSeconds(30);

    /// <summary>What rooms are told when no silo that hosts renderers is active.</summary>
    public const string NoGpuMessage = "no GPU worker is up";

    private readonly IClusterRoomStore _store;
    private readonly RoomEditor _editor;
    private readonly DeploymentOptions _options;
    private readonly IClusterMembershipService _membership;
    private readonly TimeProvider _clock;
    private readonly IRendererDispatch _renderer;
    private readonly ILogger<RoomGrain> _logger;
    private readonly Dictionary<IRoomObserver, Subscriber> _observers = [];
    private readonly Dictionary<string, Seat> _seats = new(StringComparer.Ordinal);
    private Room? _room;
    private long _activatedAt;
    private long _generation = 1;
    private long _dispatched, _dispatchedAt, _framed, _unavailableSentFor = -1;
    private bool _dispatching;

    /// <summary>Creates the grain.</summary>
    /// <param name="store">The silo's room store.</param>
    /// <param name="editor">The rules.</param>
    /// <param name="options">Timeouts and the frame deadline.</param>
    /// <param name="membership">Which silos are alive.</param>
    /// <param name="clock">The watchdog's clock.</param>
    /// <param name="renderer">Tells the room's renderer of new revisions.</param>
    /// <param name="logger">Logger.</param>
    public RoomGrain(IClusterRoomStore store, RoomEditor editor, IOptions<DeploymentOptions> options, IClusterMembershipService membership,
        [FromKeyedServices(ClockKey)] TimeProvider clock, IRendererDispatch renderer, ILogger<RoomGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _editor = editor;
        _options = options.Value;
        _membership = membership;
        _clock = clock;
        _renderer = renderer;
        _logger = logger;
    }

    private string RoomId => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _room = await _store.ActivateAsync(RoomId, cancellationToken);
        _activatedAt = _clock.GetTimestamp();
        var period = TimeSpan.FromTicks(Math.Clamp(_options.FrameDeadline.Ticks / 2, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
        this.RegisterGrainTimer(SweepAsync, new GrainTimerCreationOptions(period, period) { Interleave = false });
        // A re-activation (after its silo or directory partition was lost) renders the newest revision if no frame of it was kept.
        if (_room is { } room && room.Revision > 0 && (room.LastFrame?.Revision ?? 0) < room.Revision) Dispatch(room, _membership.CurrentSnapshot);
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_room is null) return;
        try
        {
            await _store.DeactivateAsync(RoomId, cancellationToken);
        }
        catch (RoomFencedException)
        {
            // A newer activation holds the room; nothing of this one is kept.
        }
    }

    /// <inheritdoc />
    public Task<bool> CreateAsync() => Run(async () =>
    {
        if (_room is not null) return false;
        var room = _editor.CreateRoom(RoomId);
        room.TakeChanges(); // Created: the store's CreateAsync writes the whole room
        if (!await _store.CreateAsync(room)) return false;
        _room = room;
        return true;
    });

    /// <inheritdoc />
    public Task<bool> ExistsAsync() => Task.FromResult(_room is not null);

    /// <inheritdoc />
    public Task<RoomView> GetViewAsync() => Task.FromResult(_editor.View(RequireRoom(), ""));

    /// <inheritdoc />
    public Task CheckJoinAsync(RoomJoinRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var room = RequireRoom();
        _editor.CheckDisplayName(request.DisplayName);
        _editor.CheckPlace(room, request.RejoinParticipantId, request.RejoinToken);
        CheckSeatsOfAddress(room, request);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<RoomReservation> ReserveAsync(RoomJoinRequest request) => Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(request);
        var room = RequireRoom();
        CheckSeatsOfAddress(room, request);
        (JoiningParticipant Joining, string? Replaced) reserved;
        try
        {
            reserved = _editor.Reserve(room, request.SessionId, request.DisplayName, request.RejoinParticipantId, request.RejoinToken, request.Watching);
        }
        finally
        {
            HandOver(room);
        }
        if (reserved.Replaced is not null) _seats.Remove(reserved.Replaced);
        _seats[request.SessionId] = new Seat(reserved.Joining.Id, request.Node, request.ClientAddress);
        await _store.CommitAsync(RoomId);
        return new RoomReservation(reserved.Joining, reserved.Replaced);
    });

    /// <inheritdoc />
    public Task<RoomView> AdmitAsync(JoiningParticipant joining) => Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(joining);
        var room = RequireRoom();
        RoomView view;
        PresenceChanged presence;
        try
        {
            (view, presence) = _editor.Admit(room, joining);
        }
        finally
        {
            HandOver(room);
        }
        await PublishAsync(presence, joining.SessionId);
        await _store.CommitAsync(RoomId);
        return view;
    });

    /// <inheritdoc />
    public Task<bool> LeaveAsync(string participantId, string sessionId) => Run(async () =>
    {
        if (_room is not { } room) return false;
        await LeaveSessionAsync(room, participantId, sessionId);
        return true;
    });

    /// <inheritdoc />
    public Task<StrokeBegun> BeginStrokeAsync(RoomCaller caller, string? strokeId, string? colour, float width) =>
        ChangeAsync(caller, room => _editor.BeginStroke(room, caller, strokeId, colour, width), commit: false)!;

    /// <inheritdoc />
    public Task<PointsAppended> AppendPointsAsync(RoomCaller caller, string? strokeId, CanvasPoint[]? points) =>
        ChangeAsync(caller, room => _editor.AppendPoints(room, caller, strokeId, points), commit: false)!;

    /// <inheritdoc />
    public Task<StrokeEnded> EndStrokeAsync(RoomCaller caller, string? strokeId) =>
        ChangeAsync(caller, room => _editor.EndStroke(room, caller, strokeId), commit: true)!;

    /// <inheritdoc />
    public Task<StrokesVisibilityChanged?> UndoAsync(RoomCaller caller) => ChangeAsync(caller, room => _editor.Undo(room, caller), commit: true);

    /// <inheritdoc />
    public Task<StrokesVisibilityChanged?> RedoAsync(RoomCaller caller) => ChangeAsync(caller, room => _editor.Redo(room, caller), commit: true);

    /// <inheritdoc />
    public Task<CanvasCleared?> ClearAsync(RoomCaller caller) => ChangeAsync(caller, room => _editor.Clear(room, caller), commit: true);

    /// <inheritdoc />
    public Task<PromptChanged> SetPromptAsync(RoomCaller caller, string? prompt) =>
        ChangeAsync(caller, room => _editor.SetPrompt(room, caller, prompt), commit: true)!;

    /// <inheritdoc />
    public Task<SettingsChanged> SetSettingsAsync(RoomCaller caller, FrameSettings? settings) =>
        ChangeAsync(caller, room => _editor.SetSettings(room, caller, settings), commit: true)!;

    /// <inheritdoc />
    public Task<SettingsChanged> ApplyPresetAsync(RoomCaller caller, FrameSettings? settings, string? prompt) => Run(async () =>
    {
        var room = RequireCaller(caller);
        (SettingsChanged Settings, PromptChanged? Prompt) result;
        try
        {
            result = _editor.ApplyPreset(room, caller, settings, prompt);
        }
        finally
        {
            HandOver(room);
        }
        await PublishAsync(result.Settings, null);
        if (result.Prompt is not null) await PublishAsync(result.Prompt, null);
        await _store.CommitAsync(RoomId);
        return result.Settings;
    });

    /// <inheritdoc />
    public Task<AccessChanged> SetLockedAsync(RoomCaller caller, bool locked) =>
        ChangeAsync(caller, room => _editor.SetLocked(room, caller, locked), commit: true)!;

    /// <inheritdoc />
    public Task<AccessChanged> HandOverHostAsync(RoomCaller caller, string? participantId) =>
        ChangeAsync(caller, room => _editor.HandOverHost(room, caller, participantId), commit: true)!;

    /// <inheritdoc />
    public Task<ParticipantRemoved> RemoveParticipantAsync(RoomCaller caller, string? participantId) => Run(async () =>
    {
        var room = RequireCaller(caller);
        (ParticipantRemoved Removed, PresenceChanged? Presence) result;
        try
        {
            result = _editor.RemoveParticipant(room, caller, participantId);
        }
        finally
        {
            HandOver(room);
        }
        if (result.Removed.SessionId is { } session) _seats.Remove(session);
        await PublishAsync(result.Removed, null);
        if (result.Presence is not null) await PublishAsync(result.Presence, null);
        await _store.CommitAsync(RoomId);
        return result.Removed;
    });

    /// <inheritdoc />
    public Task<CursorMoved?> CursorAsync(RoomCaller caller, float x, float y) =>
        ChangeAsync(caller, room => _editor.Cursor(room, caller, x, y), commit: false);

    /// <inheritdoc />
    public Task<long> GetRevisionAsync() => Task.FromResult(RequireRoom().Revision);

    /// <inheritdoc />
    public Task SubscribeAsync(IRoomObserver observer, SiloAddress node, string[] sessionIds)
    {
        ArgumentNullException.ThrowIfNull(observer);
        ArgumentNullException.ThrowIfNull(sessionIds);
        _observers[observer] = new Subscriber(node, _clock.GetTimestamp());
        if (_room is { } room)
        {
            // A room activated anew learns here where its participants' sessions are.
            foreach (var session in sessionIds)
                if (!_seats.ContainsKey(session) && SessionHolder(room, session) is { } participant)
                    _seats[session] = new Seat(participant, node, null);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task UnsubscribeAsync(IRoomObserver observer)
    {
        _observers.Remove(observer);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task SweepAsync() => Run(async () =>
    {
        if (_room is not { } room) return true;
        var members = _membership.CurrentSnapshot;
        foreach (var (observer, subscriber) in _observers.ToList())
            if (IsDead(members, subscriber.Node) || _clock.GetElapsedTime(subscriber.RenewedAt) > ObserverLifetime) _observers.Remove(observer);
        // Participants whose session was on a dead silo, or that no node claimed since this activation began.
        var settled = _clock.GetElapsedTime(_activatedAt) > ObserverLifetime;
        foreach (var participant in room.Participants.Values.ToList())
        {
            var session = participant switch { PresentParticipant p => p.SessionId, JoiningParticipant j => j.SessionId, _ => null };
            if (session is null) continue;
            var ghost = _seats.TryGetValue(session, out var seat) ? IsDead(members, seat.Node) : settled;
            if (ghost) await LeaveSessionAsync(room, participant.Id, session);
        }
        if (_editor.IsIdleEmpty(room))
        {
            // Empty for RoomOptions.EmptyRoomIdleTime: removed for good, as one process's sweeper does.
            _room = null;
            await _store.RemoveAsync(RoomId);
            this.DeactivateOnIdle();
            return true;
        }
        await WatchAsync(room, members);
        return true;
    });

    /// <inheritdoc />
    public Task<RenderStateDelta?> GetRenderStateAsync(RenderStrokePrefix known)
    {
        ArgumentNullException.ThrowIfNull(known);
        if (_room is not { } room) return Task.FromResult<RenderStateDelta?>(null);
        var state = _editor.RenderState(room);
        var ended = 0;
        while (ended < state.Strokes.Count && state.Strokes[ended].Ended) ended++;
        var kept = known.Generation == _generation && known.EndedStrokes <= ended ? known.EndedStrokes : 0;
        return Task.FromResult<RenderStateDelta?>(new RenderStateDelta(room.Id, state.Revision, state.RevisionAge, _generation, kept, ended,
            state.Strokes.Skip(kept).ToArray(), state.Prompt, state.ComposedPrompt, state.Settings, state.CanvasWidth, state.CanvasHeight));
    }

    /// <inheritdoc />
    public Task FrameReadyAsync(FrameMessage frame) => Run(async () =>
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (_room is not { } room) return true;
        _framed = Math.Max(_framed, frame.Revision);
        try
        {
            if (!RoomEditor.SetLastFrame(room, frame)) return true;
        }
        finally
        {
            HandOver(room);
        }
        await FanOutAsync(o => o.OnFrameAsync(frame));
        return true;
    });

    /// <inheritdoc />
    public Task FrameFailedAsync(FrameFailedMessage failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        // The renderer answered for this revision: the watchdog does not wait for it any longer.
        _framed = Math.Max(_framed, failure.Revision);
        return FanOutAsync(o => o.OnFrameFailedAsync(failure));
    }

    private async Task<T?> ChangeAsync<T>(RoomCaller caller, Func<Room, T?> edit, bool commit) where T : RoomEvent => await Run(async () =>
    {
        var room = RequireCaller(caller);
        T? result;
        try
        {
            result = edit(room);
        }
        finally
        {
            HandOver(room);
        }
        if (result is null) return null;
        await PublishAsync(result, RoomEditor.EchoExcept(result, caller));
        if (commit) await _store.CommitAsync(RoomId);
        return result;
    });

    private async Task LeaveSessionAsync(Room room, string participantId, string sessionId)
    {
        _seats.Remove(sessionId);
        PresenceChanged? presence;
        try
        {
            presence = _editor.Leave(room, participantId, sessionId);
        }
        finally
        {
            HandOver(room);
        }
        if (presence is null) return;
        await PublishAsync(presence, sessionId);
        await _store.CommitAsync(RoomId);
    }

    /// <summary>Runs a call; a fenced activation refuses it as unavailable and ends, so the next call finds the current copy.</summary>
    private async Task<T> Run<T>(Func<Task<T>> body)
    {
        try
        {
            return await body();
        }
        catch (RoomFencedException ex)
        {
            Log.Fenced(_logger, RoomId, ex);
            _room = null;
            this.DeactivateOnIdle();
            throw new RoomException(RoomErrorCodes.Unavailable,
                $"Room '{RoomId}' moved to another server while this call ran; nothing changed, try again.");
        }
    }

    /// <summary>Gives the store what the editor recorded, in order; a change below the top of the stroke stack starts a new stroke generation.</summary>
    private void HandOver(Room room)
    {
        foreach (var change in room.TakeChanges())
        {
            if (change.Kind is RoomChangeKind.Visibility or RoomChangeKind.StrokesPurged) _generation++;
            _store.OnChanged(room, change);
        }
    }

    private async Task PublishAsync(RoomEvent roomEvent, string? exceptSessionId)
    {
        await FanOutAsync(o => o.OnEventAsync(roomEvent, exceptSessionId));
        if (roomEvent.Revision > 0 && _room is { } room) Dispatch(room, _membership.CurrentSnapshot);
    }

    /// <summary>Sends to every subscribed node, each awaited (so the next event follows this one); a node that fails is dropped until it renews.</summary>
    private async Task FanOutAsync(Func<IRoomObserver, Task> send)
    {
        if (_observers.Count == 0) return;
        var observers = _observers.Keys.ToArray();
        var sends = observers.Select(o => send(o).WaitAsync(_options.GrainCallTimeout)).ToArray();
        try
        {
            await Task.WhenAll(sends);
        }
        catch (Exception)
        {
            for (var i = 0; i < observers.Length; i++)
            {
                if (sends[i].IsCompletedSuccessfully) continue;
                Log.ObserverFailed(_logger, RoomId, sends[i].Exception?.GetBaseException());
                _observers.Remove(observers[i]);
            }
        }
    }

    /// <summary>Tells the renderer of the newest revision: one call in flight, the newest revision wins.</summary>
    private void Dispatch(Room room, ClusterMembershipSnapshot members)
    {
        if (_dispatching || room.Revision <= _dispatched && _clock.GetElapsedTime(_dispatchedAt) < _options.FrameDeadline) return;
        if (!members.Members.Values.Any(m => m.Status == SiloStatus.Active && ClusterRoles.HostsRenderers(m.Name)))
        {
            if (_unavailableSentFor == room.Revision) return;
            _unavailableSentFor = room.Revision;
            SanaSprintMetrics.Watchdog("no_gpu");
            _ = FrameFailedAsync(new FrameFailedMessage(room.Revision, NoGpuMessage, Unavailable: true));
            return;
        }
        _ = DispatchAsync(room.Revision);
    }

    private async Task DispatchAsync(long revision)
    {
        _dispatching = true;
        _dispatched = revision;
        _dispatchedAt = _clock.GetTimestamp();
        try
        {
            await _renderer.RevisionChangedAsync(GrainFactory, RoomId, revision);
        }
        catch (Exception ex)
        {
            // The watchdog dispatches again after the frame deadline.
            Log.DispatchFailed(_logger, RoomId, revision, ex);
        }
        finally
        {
            _dispatching = false;
        }
        if (_room is { } room && room.Revision > _dispatched) Dispatch(room, _membership.CurrentSnapshot);
    }

    /// <summary>Dispatches again a revision whose frame is overdue (or that found no GPU worker up).</summary>
    private Task WatchAsync(Room room, ClusterMembershipSnapshot members)
    {
        if (_dispatching || _framed >= room.Revision) return Task.CompletedTask;
        if (_dispatched == 0 && _unavailableSentFor < 0) return Task.CompletedTask; // nothing dispatched since activation
        if (_dispatched > 0 && _clock.GetElapsedTime(_dispatchedAt) < _options.FrameDeadline) return Task.CompletedTask;
        if (_dispatched > 0 && members.Members.Values.Any(m => m.Status == SiloStatus.Active && ClusterRoles.HostsRenderers(m.Name)))
        {
            SanaSprintMetrics.Watchdog("redispatch");
            Log.Redispatch(_logger, RoomId, room.Revision);
        }
        _dispatchedAt = 0;
        _dispatched = Math.Min(_dispatched, room.Revision - 1);
        Dispatch(room, members);
        return Task.CompletedTask;
    }

    private void CheckSeatsOfAddress(Room room, RoomJoinRequest request)
    {
        if (request.ClientAddress is not { } address) return;
        _editor.CheckSeatsOfAddress(_seats.Count(s => s.Value.Address == address && s.Value.ParticipantId != request.RejoinParticipantId
            && SessionHolder(room, s.Key) is not null));
    }

    /// <summary>The participant a session holds a place for, or null.</summary>
    private static string? SessionHolder(Room room, string sessionId) =>
        room.Participants.Values.FirstOrDefault(p => p is PresentParticipant { SessionId: var s } && s == sessionId
            || p is JoiningParticipant { SessionId: var j } && j == sessionId)?.Id;

    private static bool IsDead(ClusterMembershipSnapshot members, SiloAddress? node) =>
        node is not null && members.GetSiloStatus(node) == SiloStatus.Dead;

    private Room RequireRoom() => _room ?? throw new RoomException(RoomErrorCodes.NotFound, $"Room '{RoomId}' does not exist.");

    /// <summary>The room, when the caller's session still speaks for its participant (a rejoin from another session takes it over).</summary>
    private Room RequireCaller(RoomCaller caller)
    {
        var room = RequireRoom();
        if (caller.SessionId is { } session && caller.ParticipantId is { } id && room.Participants.TryGetValue(id, out var p)
            && p is PresentParticipant or JoiningParticipant && SessionHolder(room, session) != id)
            throw new RoomException(RoomErrorCodes.NotJoined, "Join a room first (`JoinRoom`).");
        return room;
    }

    private readonly record struct Subscriber(SiloAddress Node, long RenewedAt);

    private readonly record struct Seat(string ParticipantId, SiloAddress? Node, string? Address);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Room '{RoomId}': a newer activation took over; this one ends", EventName = "RoomFenced")]
        public static partial void Fenced(ILogger logger, string roomId, Exception exception);

        [LoggerMessage(2, LogLevel.Debug, "Room '{RoomId}': a node's observer failed and is dropped until it renews", EventName = "RoomObserverFailed")]
        public static partial void ObserverFailed(ILogger logger, string roomId, Exception? exception);

        [LoggerMessage(3, LogLevel.Warning, "Room '{RoomId}': dispatching revision {Revision} to its renderer failed", EventName = "RoomDispatchFailed")]
        public static partial void DispatchFailed(ILogger logger, string roomId, long revision, Exception exception);

        [LoggerMessage(4, LogLevel.Information, "Room '{RoomId}': no frame within Deployment:FrameDeadline; revision {Revision} dispatched again", EventName = "RoomRedispatch")]
        public static partial void Redispatch(ILogger logger, string roomId, long revision);
    }
}
