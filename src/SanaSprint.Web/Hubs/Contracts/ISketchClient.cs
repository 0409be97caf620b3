namespace SanaSprint.Web.Hubs;

/// <summary>
/// Every message the server sends to a sketch client (browser or .NET). The method name is the SignalR event name
/// (<c>connection.on("Frame", …)</c>); each takes one payload record from <c>Messages.cs</c>.
/// </summary>
/// <remarks>
/// Who receives what: stroke progress (<see cref="StrokeBegun"/>, <see cref="PointsAppended"/>, <see cref="StrokeEnded"/>)
/// and <see cref="CursorMoved"/> go to the <em>others</em> in the room (the sender already drew them); undo/redo/clear,
/// prompt, settings, presence, access and frames go to everyone in the room; <see cref="Error"/> goes to the caller only,
/// <see cref="Removed"/> to the removed connection only.
/// </remarks>
public interface ISketchClient
{
    /// <summary>Another participant started a stroke.</summary>
    Task StrokeBegun(StrokeBegunMessage message);

    /// <summary>Another participant's stroke grew.</summary>
    Task PointsAppended(PointsAppendedMessage message);

    /// <summary>Another participant finished a stroke.</summary>
    Task StrokeEnded(StrokeEndedMessage message);

    /// <summary>Strokes were undone (hide them).</summary>
    Task StrokesRemoved(StrokesRemovedMessage message);

    /// <summary>Strokes were redone or a clear was undone (show them again, in the given order).</summary>
    Task StrokesRestored(StrokesRestoredMessage message);

    /// <summary>The canvas was cleared.</summary>
    Task Cleared(ClearedMessage message);

    /// <summary>Someone joined or left.</summary>
    Task PresenceChanged(PresenceMessage message);

    /// <summary>Another participant's pointer moved.</summary>
    Task CursorMoved(CursorMessage message);

    /// <summary>The room's settings changed.</summary>
    Task SettingsChanged(SettingsChangedMessage message);

    /// <summary>The room's prompt changed.</summary>
    Task PromptChanged(PromptChangedMessage message);

    /// <summary>A new frame for the room (binary image, revision, timings).</summary>
    Task Frame(FrameMessage message);

    /// <summary>A frame could not be produced (a failed model run, or "frames unavailable: reason").</summary>
    Task FrameFailed(FrameFailedMessage message);

    /// <summary>The host locked or unlocked drawing, or the host role moved.</summary>
    Task AccessChanged(AccessMessage message);

    /// <summary>The host removed this connection's participant from the room (sent to it only; it is out of the room then).</summary>
    Task Removed(RemovedMessage message);

    /// <summary>The caller's last call was rejected (sent to the caller only).</summary>
    Task Error(ErrorMessage message);
}
