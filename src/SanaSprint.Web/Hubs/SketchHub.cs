using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Hubs;

// The sketch hub at /hubs/sketch (MessagePack and JSON protocols): the canvas data plane.
//
// Contract. Each method changes the caller's room through IRoomDirectory (which validates, queues the change for the
// room's connections through SketchHubEvents, and for the commit calls waits until the change is committed to the room
// store) and returns the new revision; it never awaits inference (the FrameScheduler renders and pushes frames on its own)
// nor the other members' delivery (each connection has its own outbox, ConnectionOutboxes; the reply waits only until the
// caller's own queued events are sent, so a caller sees its call's events before the reply). A rejected call changes nothing,
// sends an Error to the caller only, and fails the invocation with a HubException carrying the same sentence (clients
// that `send` without waiting see only the Error event). Nothing a client sends can reach another room: every call acts
// on the room the connection joined, and a connection is sent the events of that room only.
//
// Client → server                               reply      server → clients
// CreateRoom()                                  room id    —
// JoinRoom(roomId, displayName)                 snapshot   PresenceChanged → others
// RejoinRoom(roomId, displayName,               snapshot   PresenceChanged → others   (after a reconnect: the same
//            participantId, rejoinToken)                   participant again when id and token match, else a new one)
// BeginStroke(strokeId, colour, width)          revision   StrokeBegun → others
// AppendPoints(strokeId, points[[x,y,p]…])      revision   PointsAppended → others
// EndStroke(strokeId)                  commit   revision   StrokeEnded → others
// Undo() / Redo()  (caller's own)      commit   revision   StrokesRemoved / StrokesRestored → everyone (caller too)
// Clear()  (undoable by the caller)    commit   revision   Cleared → everyone
// SetPrompt(prompt)                    commit   revision   PromptChanged → everyone
// SetSettings(settings)                commit   revision   SettingsChanged → everyone
// Cursor(x, y)  (best effort, throttled)        —          CursorMoved → others
// SetLocked(locked)          host only commit   —          AccessChanged → everyone
// HandOverHost(participantId) host only commit  —          AccessChanged → everyone
// RemoveParticipant(participantId) host  commit —          Removed → the removed connection (then out of the room);
//                                                          PresenceChanged → everyone else
// (scheduler)                                   —          Frame / FrameFailed → everyone
// Undo/Redo/Clear return the revision unchanged when there was nothing to do. Disconnecting leaves the room.
// Roles: JoinRoom by the room's id (the drawing invite) makes a drawer, and the first one the host; JoinRoom by the room's
// watch-only address makes a watcher. A watcher's, or while the host has locked drawing a drawer's, stroke, undo, redo,
// clear, prompt or settings call is refused ("read-only"); a locked room admits no newcomers; a removed participant
// cannot rejoin as itself. RoomEditor holds these rules.
// "commit": the call returns once the change is committed to the room store (SQLite when persistence is on), so an
// acknowledged change survives a crash; BeginStroke and AppendPoints are written behind (a stroke is acknowledged by its end).

/// <summary>The SignalR hub that carries strokes in and presence, settings and frames out; see the contract above.</summary>
/// <param name="rooms">The rooms.</param>
/// <param name="generator">The model description for snapshots.</param>
/// <param name="logger">Logger.</param>
/// <param name="time">The clock of the refusal log's per-connection budget.</param>
/// <param name="outboxes">Which room each connection is sent, and what it is sent.</param>
/// <param name="creations">The per-address budget of room creations (shared with the lobby's form).</param>
public sealed partial class SketchHub(IRoomDirectory rooms, IModelInfo generator, ILogger<SketchHub> logger, TimeProvider time,
    ConnectionOutboxes outboxes, RoomCreationLimiter creations) : Hub<ISketchClient>
{
    /// <summary>The path the hub is mapped at.</summary>
    public const string Path = "/hubs/sketch";

    /// <summary>Creates a room with an unguessable id, within the caller's address budget (<see cref="RoomCreationLimiter"/>).</summary>
    /// <returns>The new room's id.</returns>
    public Task<string> CreateRoom() => Run(() =>
    {
        if (!creations.TryAcquire(Context.GetHttpContext()?.Connection.RemoteIpAddress, out var retryAfter))
            throw new RoomException(RoomErrorCodes.Limit, creations.RefusalMessage(retryAfter));
        return rooms.CreateRoomAsync(Context.ConnectionAborted).AsTask();
    });

    /// <summary>Joins a room (leaving any other); returns everything needed to show what the others see.</summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="displayName">The caller's name.</param>
    /// <returns>The snapshot; stroke events with a revision ≤ its revision are already in it.</returns>
    public Task<RoomSnapshot> JoinRoom(string roomId, string displayName) => Join(roomId, displayName, null, null);

    /// <summary>
    /// Joins a room again after a reconnect as the participant of an earlier snapshot (same id and colour, its strokes
    /// still undoable), when <paramref name="participantId"/> and <paramref name="rejoinToken"/> match; otherwise as a new
    /// participant, exactly like <see cref="JoinRoom"/>.
    /// </summary>
    /// <param name="roomId">The room id.</param>
    /// <param name="displayName">The caller's name.</param>
    /// <param name="participantId">The earlier <see cref="RoomSnapshot.ParticipantId"/>.</param>
    /// <param name="rejoinToken">The earlier <see cref="RoomSnapshot.RejoinToken"/>.</param>
    /// <returns>The snapshot.</returns>
    public Task<RoomSnapshot> RejoinRoom(string roomId, string displayName, string participantId, string rejoinToken) =>
        Join(roomId, displayName, participantId, rejoinToken, nameof(RejoinRoom));

    private Task<RoomSnapshot> Join(string roomId, string displayName, string? participantId, string? rejoinToken,
        [CallerMemberName] string method = "") => Run(async () =>
    {
        // Everything that could refuse the join is checked before the caller leaves the room it is in.
        var address = Context.GetHttpContext()?.Connection.RemoteIpAddress?.ToString();
        await rooms.CheckJoinAsync(roomId, displayName, participantId, rejoinToken, address, Context.ConnectionAborted);
        await LeaveCurrentRoom();
        var joining = await rooms.ReserveAsync(roomId, Context.ConnectionId, displayName, participantId, rejoinToken, address, Context.ConnectionAborted);
        try
        {
            // Listen first, then snapshot: events in between carry revisions the snapshot already covers.
            outboxes.Enter(Context.ConnectionId, joining.RoomId, Context.Abort);
            var view = await rooms.AdmitAsync(joining, Context.ConnectionAborted);
            Log.Joined(logger, joining.RoomId, Context.ConnectionId, joining.Id);
            return view.ToWire(generator.Info.ToWire());
        }
        catch
        {
            await rooms.LeaveAsync(Context.ConnectionId);
            outboxes.Leave(Context.ConnectionId);
            throw;
        }
    }, method);

    /// <summary>Starts a stroke of the caller.</summary>
    /// <param name="strokeId">Client-chosen id, unique in the room.</param>
    /// <param name="colour">"#rrggbb".</param>
    /// <param name="width">Width in canvas units.</param>
    /// <returns>The new revision.</returns>
    public Task<long> BeginStroke(string strokeId, string colour, float width) => Run(async () =>
        (await rooms.BeginStrokeAsync(await Caller(), strokeId, colour, width, Context.ConnectionAborted)).Revision);

    /// <summary>Adds points to the caller's stroke in progress.</summary>
    /// <param name="strokeId">The stroke.</param>
    /// <param name="points">New points, each <c>[x, y, pressure]</c>.</param>
    /// <returns>The new revision.</returns>
    public Task<long> AppendPoints(string strokeId, StrokePoint[] points) => Run(async () =>
        (await rooms.AppendPointsAsync(await Caller(), strokeId, points.ToDomain(), Context.ConnectionAborted)).Revision);

    /// <summary>Finishes the caller's stroke; once this returns, the stroke is committed.</summary>
    /// <param name="strokeId">The stroke.</param>
    /// <returns>The new revision.</returns>
    public Task<long> EndStroke(string strokeId) => Run(async () =>
        (await rooms.EndStrokeAsync(await Caller(), strokeId, Context.ConnectionAborted)).Revision);

    /// <summary>Undoes the caller's newest action; once this returns, the change is committed.</summary>
    /// <returns>The new revision (unchanged when nothing changed).</returns>
    public Task<long> Undo() => Run(async () =>
    {
        var caller = await Caller();
        return (await rooms.UndoAsync(caller, Context.ConnectionAborted))?.Revision ?? await rooms.GetRevisionAsync(caller.RoomId);
    });

    /// <summary>Redoes the caller's newest undone action; once this returns, the change is committed.</summary>
    /// <returns>The new revision (unchanged when nothing changed).</returns>
    public Task<long> Redo() => Run(async () =>
    {
        var caller = await Caller();
        return (await rooms.RedoAsync(caller, Context.ConnectionAborted))?.Revision ?? await rooms.GetRevisionAsync(caller.RoomId);
    });

    /// <summary>Clears the canvas (the caller can undo it); once this returns, the change is committed.</summary>
    /// <returns>The new revision (unchanged when the canvas was empty).</returns>
    public Task<long> Clear() => Run(async () =>
    {
        var caller = await Caller();
        return (await rooms.ClearAsync(caller, Context.ConnectionAborted))?.Revision ?? await rooms.GetRevisionAsync(caller.RoomId);
    });

    /// <summary>Sets the room's prompt; once this returns, the change is committed.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <returns>The new revision.</returns>
    public Task<long> SetPrompt(string prompt) => Run(async () =>
    {
        var caller = await Caller();
        var changed = await rooms.SetPromptAsync(caller, prompt, Context.ConnectionAborted);
        if (logger.IsEnabled(LogLevel.Trace)) Log.PromptSet(logger, caller.RoomId, RefusalLog.Escape(prompt));
        return changed.Revision;
    });

    /// <summary>Sets the room's settings; once this returns, the change is committed.</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The new revision.</returns>
    public Task<long> SetSettings(RoomSettings settings) => Run(async () =>
        (await rooms.SetSettingsAsync(await Caller(), settings.ToDomain(), Context.ConnectionAborted)).Revision);

    /// <summary>The host locks drawing (only the host changes the room; no newcomers) or unlocks it; once this returns, it is committed.</summary>
    /// <param name="locked">True to lock.</param>
    /// <returns>True when the room is locked after the call.</returns>
    public Task<bool> SetLocked(bool locked) => Run(async () =>
        (await rooms.SetLockedAsync(await Caller(), locked, Context.ConnectionAborted)).Access.Locked);

    /// <summary>The host hands its role to another participant present by the drawing invite.</summary>
    /// <param name="participantId">The new host.</param>
    /// <returns>The new host's participant id.</returns>
    public Task<string?> HandOverHost(string participantId) => Run(async () =>
        (await rooms.HandOverHostAsync(await Caller(), participantId, Context.ConnectionAborted)).Access.HostId);

    /// <summary>The host removes a participant: it is told and leaves the room, and cannot rejoin as itself.</summary>
    /// <param name="participantId">The participant to remove.</param>
    /// <returns>The removed participant's id.</returns>
    public Task<string> RemoveParticipant(string participantId) => Run(async () =>
        (await rooms.RemoveParticipantAsync(await Caller(), participantId, Context.ConnectionAborted)).ParticipantId);

    /// <summary>Relays the caller's pointer to the others (best effort; throttled).</summary>
    /// <param name="x">Canvas x.</param>
    /// <param name="y">Canvas y.</param>
    public Task Cursor(float x, float y) => Run(async () =>
    {
        await rooms.CursorAsync(await Caller(), x, y, Context.ConnectionAborted);
        return true;
    });

    /// <inheritdoc />
    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        await LeaveCurrentRoom();
        outboxes.Close(Context.ConnectionId);
        await base.OnDisconnectedAsync(exception);
    }

    /// <summary>Describes the generator's model for the wire.</summary>
    public static ModelInfo DescribeModel(GeneratorInfo info) => info.ToWire();

    private async Task LeaveCurrentRoom()
    {
        if (await rooms.FindSessionAsync(Context.ConnectionId) is not { } session) return;
        outboxes.Leave(Context.ConnectionId);
        if (await rooms.LeaveAsync(Context.ConnectionId) is { } left) Log.Left(logger, left, Context.ConnectionId);
    }

    private async ValueTask<RoomCaller> Caller() => await rooms.FindSessionAsync(Context.ConnectionId)
        ?? throw new RoomException(RoomErrorCodes.NotJoined, "Join a room first (`JoinRoom`).");

    /// <summary>
    /// Runs a hub method body, then waits until the events queued for the caller so far are sent (its own call's among
    /// them); a refused call becomes an Error to the caller only plus a failed invocation.
    /// </summary>
    private async Task<T> Run<T>(Func<Task<T>> body, [CallerMemberName] string method = "")
    {
        try
        {
            var result = await body();
            await outboxes.FlushAsync(Context.ConnectionId);
            return result;
        }
        catch (RoomException ex)
        {
            RefusalLog.Refused(logger, Context, method, ex.Code, ex.Message, time);
            await Clients.Caller.Error(new ErrorMessage(method, ex.Code, ex.Message));
            throw new HubException(ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Connection '{ConnectionId}' joined room '{RoomId}' as '{ParticipantId}'", EventName = "RoomJoined")]
        public static partial void Joined(ILogger logger, string roomId, string connectionId, string participantId);

        [LoggerMessage(2, LogLevel.Debug, "Connection '{ConnectionId}' left room '{RoomId}'", EventName = "RoomLeft")]
        public static partial void Left(ILogger logger, string roomId, string connectionId);

        [LoggerMessage(4, LogLevel.Trace, "Room '{RoomId}' prompt set to '{Prompt}'", EventName = "PromptSet")]
        public static partial void PromptSet(ILogger logger, string roomId, string prompt);
    }
}
