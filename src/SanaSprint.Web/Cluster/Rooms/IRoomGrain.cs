using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// One room in a deployment (keyed by room id), on a web silo: the single writer of the room. Every call runs the
/// <see cref="RoomEditor"/> rule of the same name on the room inside the grain's turn, hands the recorded changes to the
/// silo's <see cref="IClusterRoomStore"/>, sends the event to every web node that has members or page subscribers in the
/// room (<see cref="IRoomObserver"/>), and for the committing calls waits for the store's commit before it returns.
/// </summary>
/// <remarks>Refusals are <see cref="RoomException"/>s, exactly as in one process; a fenced (stale) activation refuses with
/// <see cref="RoomErrorCodes.Unavailable"/> and deactivates, so the next call reaches the current copy.</remarks>
public interface IRoomGrain : IRoomRenderFeedGrain
{
    /// <summary>Creates the room under this grain's key; false when the id is taken.</summary>
    Task<bool> CreateAsync();

    /// <summary>True when the room exists.</summary>
    Task<bool> ExistsAsync();

    /// <summary>The room as a joiner would see it, without joining.</summary>
    /// <exception cref="RoomException">Unknown room.</exception>
    Task<RoomView> GetViewAsync();

    /// <summary>Checks a join request without changing anything (see <see cref="IRoomDirectory.CheckJoinAsync"/>).</summary>
    /// <param name="request">The request.</param>
    Task CheckJoinAsync(RoomJoinRequest request);

    /// <summary>First half of joining (see <see cref="RoomEditor.Reserve"/>).</summary>
    /// <param name="request">The request.</param>
    /// <returns>The reservation, with the session a rejoin replaced.</returns>
    Task<RoomReservation> ReserveAsync(RoomJoinRequest request);

    /// <summary>Second half of joining (see <see cref="RoomEditor.Admit"/>).</summary>
    /// <param name="joining">From <see cref="ReserveAsync"/>.</param>
    Task<RoomView> AdmitAsync(JoiningParticipant joining);

    /// <summary>A session leaves (see <see cref="RoomEditor.Leave"/>).</summary>
    /// <param name="participantId">The participant.</param>
    /// <param name="sessionId">The session leaving.</param>
    /// <returns>True when the room exists.</returns>
    Task<bool> LeaveAsync(string participantId, string sessionId);

    /// <summary>See <see cref="RoomEditor.BeginStroke"/>.</summary>
    Task<StrokeBegun> BeginStrokeAsync(RoomCaller caller, string? strokeId, string? colour, float width);

    /// <summary>See <see cref="RoomEditor.AppendPoints"/>.</summary>
    Task<PointsAppended> AppendPointsAsync(RoomCaller caller, string? strokeId, CanvasPoint[]? points);

    /// <summary>See <see cref="RoomEditor.EndStroke"/>; returns once committed.</summary>
    Task<StrokeEnded> EndStrokeAsync(RoomCaller caller, string? strokeId);

    /// <summary>See <see cref="RoomEditor.Undo"/>; returns once committed.</summary>
    Task<StrokesVisibilityChanged?> UndoAsync(RoomCaller caller);

    /// <summary>See <see cref="RoomEditor.Redo"/>; returns once committed.</summary>
    Task<StrokesVisibilityChanged?> RedoAsync(RoomCaller caller);

    /// <summary>See <see cref="RoomEditor.Clear"/>; returns once committed.</summary>
    Task<CanvasCleared?> ClearAsync(RoomCaller caller);

    /// <summary>See <see cref="RoomEditor.SetPrompt"/>; returns once committed.</summary>
    Task<PromptChanged> SetPromptAsync(RoomCaller caller, string? prompt);

    /// <summary>See <see cref="RoomEditor.SetSettings"/>; returns once committed.</summary>
    Task<SettingsChanged> SetSettingsAsync(RoomCaller caller, FrameSettings? settings);

    /// <summary>See <see cref="RoomEditor.ApplyPreset"/>; returns once committed.</summary>
    Task<SettingsChanged> ApplyPresetAsync(RoomCaller caller, FrameSettings? settings, string? prompt);

    /// <summary>See <see cref="RoomEditor.SetLocked"/>; returns once committed.</summary>
    Task<AccessChanged> SetLockedAsync(RoomCaller caller, bool locked);

    /// <summary>See <see cref="RoomEditor.HandOverHost"/>; returns once committed.</summary>
    Task<AccessChanged> HandOverHostAsync(RoomCaller caller, string? participantId);

    /// <summary>See <see cref="RoomEditor.RemoveParticipant"/>; returns once committed.</summary>
    Task<ParticipantRemoved> RemoveParticipantAsync(RoomCaller caller, string? participantId);

    /// <summary>See <see cref="RoomEditor.Cursor"/>.</summary>
    Task<CursorMoved?> CursorAsync(RoomCaller caller, float x, float y);

    /// <summary>The room's revision.</summary>
    /// <exception cref="RoomException">Unknown room.</exception>
    Task<long> GetRevisionAsync();

    /// <summary>
    /// A web node listens to the room (or renews its listening): it is sent every event, frame and failure until it
    /// unsubscribes or stops renewing within <see cref="RoomGrain.ObserverLifetime"/>.
    /// </summary>
    /// <param name="observer">The node's observer for this room.</param>
    /// <param name="node">The node's silo.</param>
    /// <param name="sessionIds">The node's sessions in the room (so a room activated anew knows where its participants are).</param>
    Task SubscribeAsync(IRoomObserver observer, SiloAddress node, string[] sessionIds);

    /// <summary>The node stops listening.</summary>
    /// <param name="observer">The node's observer.</param>
    Task UnsubscribeAsync(IRoomObserver observer);

    /// <summary>
    /// The room's periodic check, also run by its timer: participants whose sessions were on a web silo that is gone are
    /// marked Left, and the watchdog dispatches again a revision whose frame is overdue.
    /// </summary>
    Task SweepAsync();
}
