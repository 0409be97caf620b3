namespace SanaSprint.Web.Rooms;

/// <summary>
/// Every room, as the hub, its filter and the pages see them: create and find rooms, join and leave, and change a room as
/// one of its participants. Changes are published to the room's listeners (<see cref="Subscribe"/> and the hub's
/// <see cref="IRoomEventSink"/>) before the call returns.
/// </summary>
/// <remarks>
/// <para>Errors: a refused call throws <see cref="RoomException"/> with a sentence naming the argument; the room is unchanged.</para>
/// <para>Durability: <see cref="EndStrokeAsync"/>, <see cref="UndoAsync"/>, <see cref="RedoAsync"/>, <see cref="ClearAsync"/>,
/// <see cref="SetPromptAsync"/>, <see cref="SetSettingsAsync"/> and <see cref="ApplyPresetAsync"/> complete once the change is
/// committed to the room store; <see cref="BeginStrokeAsync"/> and <see cref="AppendPointsAsync"/> are written behind (a
/// stroke is acknowledged by its end).</para>
/// </remarks>
public interface IRoomDirectory
{
    /// <summary>The limits in force.</summary>
    RoomOptions Options { get; }

    /// <summary>Creates a room with an unguessable id (128 random bits, 22 URL-safe characters).</summary>
    /// <returns>The new room's id.</returns>
    /// <exception cref="RoomException">The server already holds <see cref="RoomOptions.MaxRooms"/> rooms in use (empty rooms do not count).</exception>
    ValueTask<string> CreateRoomAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// What a room link's address leads to: a room by its id (the drawing invite) or by its watch-only address; null when
    /// the address is malformed or leads nowhere.
    /// </summary>
    /// <param name="address">The id or watch-only address from a link.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    ValueTask<RoomAddress?> ResolveAsync(string? address, CancellationToken cancellationToken = default);

    /// <summary>True when <paramref name="roomId"/> is well formed and the room exists (by its id or its watch-only address).</summary>
    ValueTask<bool> RoomExistsAsync(string? roomId, CancellationToken cancellationToken = default);

    /// <summary>How many rooms exist.</summary>
    ValueTask<int> CountRoomsAsync(CancellationToken cancellationToken = default);

    /// <summary>A room as a joiner would see it, without joining it.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The view, with an empty <see cref="RoomView.ParticipantId"/>.</returns>
    /// <exception cref="RoomException">Bad id or unknown room.</exception>
    ValueTask<RoomView> GetViewAsync(string? roomId, CancellationToken cancellationToken = default);

    /// <summary>The room and participant a hub connection is in, or null.</summary>
    /// <param name="sessionId">The connection id.</param>
    ValueTask<RoomCaller?> FindSessionAsync(string sessionId);

    /// <summary>
    /// Checks a join request without changing anything, so that a caller whose request would be refused (bad name, unknown
    /// room, room full, too many places from its address) stays in the room it is in.
    /// </summary>
    /// <param name="roomId">The room to join.</param>
    /// <param name="displayName">The caller's name.</param>
    /// <param name="rejoinParticipantId">With <paramref name="rejoinToken"/>: the earlier participant a rejoin names.</param>
    /// <param name="rejoinToken">The rejoin token.</param>
    /// <param name="clientAddress">The client's network address, for <see cref="RoomOptions.MaxParticipantsPerAddress"/> (null: not checked).</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <exception cref="RoomException">Bad id or name, unknown room, or no place for the caller.</exception>
    ValueTask CheckJoinAsync(string? roomId, string? displayName, string? rejoinParticipantId = null, string? rejoinToken = null,
        string? clientAddress = null, CancellationToken cancellationToken = default);

    /// <summary>First half of joining: checks the room, the name and the room's capacity, and holds a place.</summary>
    /// <param name="roomId">The room to join: its id (drawing invite) or its watch-only address (the joiner is then a watcher).</param>
    /// <param name="sessionId">The caller's connection; must not be in a room already.</param>
    /// <param name="displayName">The caller's name.</param>
    /// <param name="rejoinParticipantId">With <paramref name="rejoinToken"/>: become this earlier participant again.</param>
    /// <param name="rejoinToken">The <see cref="RoomView.RejoinToken"/> that participant was given.</param>
    /// <param name="clientAddress">The client's network address, for <see cref="RoomOptions.MaxParticipantsPerAddress"/> (null: not checked).</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns>The participant, holding a place but not yet announced (its name made unique in the room).</returns>
    /// <exception cref="RoomException">Bad id or name, unknown room, room full, or the session is already in a room.</exception>
    ValueTask<JoiningParticipant> ReserveAsync(string? roomId, string sessionId, string? displayName, string? rejoinParticipantId = null,
        string? rejoinToken = null, string? clientAddress = null, CancellationToken cancellationToken = default);

    /// <summary>Second half of joining: makes the participant present and announces it to the others.</summary>
    /// <param name="joining">From <see cref="ReserveAsync"/>.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns>The joiner's view.</returns>
    /// <exception cref="RoomException">The participant is no longer joining (it left meanwhile).</exception>
    ValueTask<RoomView> AdmitAsync(JoiningParticipant joining, CancellationToken cancellationToken = default);

    /// <summary>The session leaves its room and the others are told. No-op when not in a room.</summary>
    /// <param name="sessionId">The connection.</param>
    /// <returns>The room left, or null.</returns>
    ValueTask<string?> LeaveAsync(string sessionId);

    /// <summary>The caller starts a stroke (see <see cref="RoomEditor.BeginStroke"/>).</summary>
    ValueTask<StrokeBegun> BeginStrokeAsync(RoomCaller caller, string? strokeId, string? colour, float width, CancellationToken cancellationToken = default);

    /// <summary>The caller extends its own stroke in progress (see <see cref="RoomEditor.AppendPoints"/>).</summary>
    ValueTask<PointsAppended> AppendPointsAsync(RoomCaller caller, string? strokeId, IReadOnlyList<CanvasPoint>? points, CancellationToken cancellationToken = default);

    /// <summary>The caller finishes its own stroke; completes once the stroke is committed.</summary>
    ValueTask<StrokeEnded> EndStrokeAsync(RoomCaller caller, string? strokeId, CancellationToken cancellationToken = default);

    /// <summary>Undoes the caller's newest action; completes once committed.</summary>
    /// <returns>What changed, or null when nothing changed on the canvas.</returns>
    ValueTask<StrokesVisibilityChanged?> UndoAsync(RoomCaller caller, CancellationToken cancellationToken = default);

    /// <summary>Redoes the caller's newest undone action; completes once committed.</summary>
    /// <returns>What changed, or null when nothing changed on the canvas.</returns>
    ValueTask<StrokesVisibilityChanged?> RedoAsync(RoomCaller caller, CancellationToken cancellationToken = default);

    /// <summary>Clears the canvas (the caller can undo it); completes once committed.</summary>
    /// <returns>The event, or null when the canvas was already empty.</returns>
    ValueTask<CanvasCleared?> ClearAsync(RoomCaller caller, CancellationToken cancellationToken = default);

    /// <summary>Sets the room's prompt (see <see cref="RoomEditor.SetPrompt"/>); completes once committed.</summary>
    ValueTask<PromptChanged> SetPromptAsync(RoomCaller caller, string? prompt, CancellationToken cancellationToken = default);

    /// <summary>Replaces the room's settings (see <see cref="RoomEditor.SetSettings"/>); completes once committed.</summary>
    ValueTask<SettingsChanged> SetSettingsAsync(RoomCaller caller, FrameSettings? settings, CancellationToken cancellationToken = default);

    /// <summary>Applies a style preset's settings and subject in one change (see <see cref="RoomEditor.ApplyPreset"/>); completes once committed.</summary>
    ValueTask<SettingsChanged> ApplyPresetAsync(RoomCaller caller, FrameSettings? settings, string? prompt, CancellationToken cancellationToken = default);

    /// <summary>The host locks drawing (only the host changes the room, no newcomers) or unlocks it (see <see cref="RoomEditor.SetLocked"/>); completes once committed.</summary>
    ValueTask<AccessChanged> SetLockedAsync(RoomCaller caller, bool locked, CancellationToken cancellationToken = default);

    /// <summary>The host hands its role to another participant (see <see cref="RoomEditor.HandOverHost"/>); completes once committed.</summary>
    ValueTask<AccessChanged> HandOverHostAsync(RoomCaller caller, string? participantId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The host removes a participant (see <see cref="RoomEditor.RemoveParticipant"/>): its session leaves the room and is
    /// told (<see cref="ParticipantRemoved"/>), the others see it leave; completes once committed.
    /// </summary>
    ValueTask<ParticipantRemoved> RemoveParticipantAsync(RoomCaller caller, string? participantId, CancellationToken cancellationToken = default);

    /// <summary>The caller's pointer moved (best effort, throttled).</summary>
    /// <returns>The event, or null when throttled.</returns>
    ValueTask<CursorMoved?> CursorAsync(RoomCaller caller, float x, float y, CancellationToken cancellationToken = default);

    /// <summary>The room's current revision.</summary>
    /// <exception cref="RoomException">Bad id or unknown room.</exception>
    ValueTask<long> GetRevisionAsync(string roomId, CancellationToken cancellationToken = default);

    /// <summary>Calls <paramref name="listener"/> with every event of a room from now on, until the subscription is disposed.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="listener">Called after each change, in the room's order; its failures are logged, never the caller's.</param>
    /// <returns>The subscription.</returns>
    IDisposable Subscribe(string roomId, Func<RoomEvent, Task> listener);
}
