using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// A <see cref="LocalRoomDirectory"/> driven the way the hub drives it (a session id per caller), synchronously, for tests
/// that exercise room rules without a socket. The directory completes at once over an in-memory store; over SQLite a
/// commit call waits for its write.
/// </summary>
/// <param name="directory">The directory.</param>
public sealed class SessionRooms(LocalRoomDirectory directory)
{
    /// <summary>A directory over an in-memory store with these options.</summary>
    public static SessionRooms InMemory(RoomOptions? options = null, IModelInfo? model = null, IGalleryStore? gallery = null, TimeProvider? time = null) =>
        new(new LocalRoomDirectory(new InMemoryRoomStore(), new RoomEditor(options ?? new RoomOptions(), time, model, gallery)));

    /// <summary>The directory itself.</summary>
    public LocalRoomDirectory Directory => directory;

    /// <summary>The limits in force.</summary>
    public RoomOptions Options => directory.Options;

    /// <summary>How many rooms exist.</summary>
    public int RoomCount => directory.RoomCount;

    /// <summary>Raised after every revision bump.</summary>
    public event Action<string>? RevisionChanged
    {
        add => directory.RevisionChanged += value;
        remove => directory.RevisionChanged -= value;
    }

    public string CreateRoom() => Wait(directory.CreateRoomAsync());

    public bool RoomExists(string? roomId) => Wait(directory.RoomExistsAsync(roomId));

    public RoomView View(string roomId) => Wait(directory.GetViewAsync(roomId));

    public RoomSnapshot GetSnapshot(string roomId, ModelInfo model) => View(roomId).ToWire(model);

    public void SetLastFrame(string roomId, FrameMessage frame) => directory.FrameReadyAsync(roomId, frame).AsTask().GetAwaiter().GetResult();

    public JoiningParticipant Reserve(string roomId, string session, string name, string? participantId = null, string? token = null) =>
        Wait(directory.ReserveAsync(roomId, session, name, participantId, token));

    public (RoomView View, PresenceChanged Presence) Admit(JoiningParticipant joining)
    {
        PresenceChanged? presence = null;
        using var listening = directory.Subscribe(joining.RoomId, e =>
        {
            if (e is PresenceChanged p && p.Changed.Id == joining.Id) presence = p;
            return Task.CompletedTask;
        });
        var view = Wait(directory.AdmitAsync(joining));
        return (view, presence!);
    }

    /// <summary>Joins <paramref name="session"/> to a room as a present participant.</summary>
    /// <returns>The participant id.</returns>
    public string Join(string roomId, string session, string name = "ann") => Admit(Reserve(roomId, session, name)).View.ParticipantId;

    public string? Leave(string session) => Wait(directory.LeaveAsync(session));

    public StrokeBegun BeginStroke(string session, string strokeId, string colour, float width) =>
        Wait(directory.BeginStrokeAsync(Caller(session), strokeId, colour, width));

    public PointsAppended AppendPoints(string session, string strokeId, CanvasPoint[] points) =>
        Wait(directory.AppendPointsAsync(Caller(session), strokeId, points));

    public StrokeEnded EndStroke(string session, string strokeId) => Wait(directory.EndStrokeAsync(Caller(session), strokeId));

    /// <summary>Draws a whole stroke of <paramref name="points"/> points along a diagonal.</summary>
    public void Draw(string session, string strokeId, int points = 3, string colour = "#000000", float width = 2f)
    {
        BeginStroke(session, strokeId, colour, width);
        AppendPoints(session, strokeId, [.. Enumerable.Range(0, points).Select(i => new CanvasPoint(10 + i, 20 + 2 * i, 0.5f))]);
        EndStroke(session, strokeId);
    }

    public StrokesVisibilityChanged? Undo(string session) => Wait(directory.UndoAsync(Caller(session)));

    public StrokesVisibilityChanged? Redo(string session) => Wait(directory.RedoAsync(Caller(session)));

    public CanvasCleared? Clear(string session) => Wait(directory.ClearAsync(Caller(session)));

    public PromptChanged SetPrompt(string session, string prompt) => Wait(directory.SetPromptAsync(Caller(session), prompt));

    public SettingsChanged SetSettings(string session, FrameSettings settings) => Wait(directory.SetSettingsAsync(Caller(session), settings));

    public CursorMoved? Cursor(string session, float x, float y) => Wait(directory.CursorAsync(Caller(session), x, y));

    public AccessChanged SetLocked(string session, bool locked) => Wait(directory.SetLockedAsync(Caller(session), locked));

    public AccessChanged HandOverHost(string session, string participantId) => Wait(directory.HandOverHostAsync(Caller(session), participantId));

    public ParticipantRemoved RemoveParticipant(string session, string participantId) => Wait(directory.RemoveParticipantAsync(Caller(session), participantId));

    public long GetRevision(string session) => Wait(directory.GetRevisionAsync(Caller(session).RoomId));

    /// <summary>The caller a session is, as the hub resolves it.</summary>
    /// <exception cref="RoomException">The session is in no room.</exception>
    public RoomCaller Caller(string session) => Wait(directory.FindSessionAsync(session))
        ?? throw new RoomException(RoomErrorCodes.NotJoined, "Join a room first (`JoinRoom`).");

    private static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
}
