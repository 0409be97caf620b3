using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// A room directory (<see cref="LocalRoomDirectory"/>, or a node's <c>OrleansRoomDirectory</c> over a test cluster) driven the
/// way the hub drives it (a session id per caller), synchronously, for tests that exercise room rules without a socket.
/// </summary>
/// <param name="rooms">The directory.</param>
public sealed class SessionRooms(IRoomDirectory rooms)
{
    /// <summary>A directory over an in-memory store with these options.</summary>
    public static SessionRooms InMemory(RoomOptions? options = null, IModelInfo? model = null, IGalleryStore? gallery = null, TimeProvider? time = null) =>
        new(new LocalRoomDirectory(new InMemoryRoomStore(), new RoomEditor(options ?? new RoomOptions(), time, model, gallery)));

    /// <summary>The directory itself, when it is the one-process directory.</summary>
    public LocalRoomDirectory Directory => (LocalRoomDirectory)rooms;

    /// <summary>The directory as the hub sees it.</summary>
    public IRoomDirectory Rooms => rooms;

    /// <summary>The limits in force.</summary>
    public RoomOptions Options => rooms.Options;

    /// <summary>How many rooms exist.</summary>
    public int RoomCount => Directory.RoomCount;

    /// <summary>Raised after every revision bump.</summary>
    public event Action<string>? RevisionChanged
    {
        add => Directory.RevisionChanged += value;
        remove => Directory.RevisionChanged -= value;
    }

    public string CreateRoom() => Wait(rooms.CreateRoomAsync());

    public bool RoomExists(string? roomId) => Wait(rooms.RoomExistsAsync(roomId));

    public RoomView View(string roomId) => Wait(rooms.GetViewAsync(roomId));

    public RoomSnapshot GetSnapshot(string roomId, ModelInfo model) => View(roomId).ToWire(model);

    public void SetLastFrame(string roomId, FrameMessage frame) => Directory.FrameReadyAsync(roomId, frame).AsTask().GetAwaiter().GetResult();

    public JoiningParticipant Reserve(string roomId, string session, string name, string? participantId = null, string? token = null) =>
        Wait(rooms.ReserveAsync(roomId, session, name, participantId, token));

    public (RoomView View, PresenceChanged Presence) Admit(JoiningParticipant joining)
    {
        PresenceChanged? presence = null;
        using var listening = rooms.Subscribe(joining.RoomId, e =>
        {
            if (e is PresenceChanged p && p.Changed.Id == joining.Id) presence = p;
            return Task.CompletedTask;
        });
        var view = Wait(rooms.AdmitAsync(joining));
        return (view, presence!);
    }

    /// <summary>Joins <paramref name="session"/> to a room as a present participant.</summary>
    /// <returns>The participant id.</returns>
    public string Join(string roomId, string session, string name = "ann") => Admit(Reserve(roomId, session, name)).View.ParticipantId;

    public string? Leave(string session) => Wait(rooms.LeaveAsync(session));

    public StrokeBegun BeginStroke(string session, string strokeId, string colour, float width) =>
        Wait(rooms.BeginStrokeAsync(Caller(session), strokeId, colour, width));

    public PointsAppended AppendPoints(string session, string strokeId, CanvasPoint[] points) =>
        Wait(rooms.AppendPointsAsync(Caller(session), strokeId, points));

    public StrokeEnded EndStroke(string session, string strokeId) => Wait(rooms.EndStrokeAsync(Caller(session), strokeId));

    /// <summary>Draws a whole stroke of <paramref name="points"/> points along a diagonal.</summary>
    public void Draw(string session, string strokeId, int points = 3, string colour = "#000000", float width = 2f)
    {
        BeginStroke(session, strokeId, colour, width);
        AppendPoints(session, strokeId, [.. Enumerable.Range(0, points).Select(i => new CanvasPoint(10 + i, 20 + 2 * i, 0.5f))]);
        EndStroke(session, strokeId);
    }

    public StrokesVisibilityChanged? Undo(string session) => Wait(rooms.UndoAsync(Caller(session)));

    public StrokesVisibilityChanged? Redo(string session) => Wait(rooms.RedoAsync(Caller(session)));

    public CanvasCleared? Clear(string session) => Wait(rooms.ClearAsync(Caller(session)));

    public PromptChanged SetPrompt(string session, string prompt) => Wait(rooms.SetPromptAsync(Caller(session), prompt));

    public SettingsChanged SetSettings(string session, FrameSettings settings) => Wait(rooms.SetSettingsAsync(Caller(session), settings));

    public CursorMoved? Cursor(string session, float x, float y) => Wait(rooms.CursorAsync(Caller(session), x, y));

    public AccessChanged SetLocked(string session, bool locked) => Wait(rooms.SetLockedAsync(Caller(session), locked));

    public AccessChanged HandOverHost(string session, string participantId) => Wait(rooms.HandOverHostAsync(Caller(session), participantId));

    public ParticipantRemoved RemoveParticipant(string session, string participantId) => Wait(rooms.RemoveParticipantAsync(Caller(session), participantId));

    public long GetRevision(string session) => Wait(rooms.GetRevisionAsync(Caller(session).RoomId));

    /// <summary>The caller a session is, as the hub resolves it.</summary>
    /// <exception cref="RoomException">The session is in no room.</exception>
    public RoomCaller Caller(string session) => Wait(rooms.FindSessionAsync(session))
        ?? throw new RoomException(RoomErrorCodes.NotJoined, "Join a room first (`JoinRoom`).");

    private static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
}
