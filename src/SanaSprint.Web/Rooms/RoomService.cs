using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// The authoritative state of every room: strokes with their owners, the revision clock, participants, prompt and settings,
/// per-participant undo and redo, and snapshots for joiners. Thread-safe (one lock per room); no SignalR in here.
/// </summary>
/// <remarks>
/// Callers are identified by a session id (the hub passes its connection id). Every method validates its arguments
/// against <see cref="RoomOptions"/> and throws <see cref="RoomException"/> with a sentence naming the argument; the state
/// is unchanged then. Methods return the wire message describing the change, for the caller to broadcast.
/// </remarks>
public sealed partial class RoomService : IRenderSource
{
    /// <summary>Colours handed to participants in turn (distinct on white and dark backgrounds).</summary>
    private static readonly string[] Palette =
        ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#469990", "#800000", "#808000", "#000075"];

    /// <summary>Largest seed: 2^53 − 1, so browsers hold it exactly.</summary>
    public const long MaxSeed = (1L << 53) - 1;

    private readonly IRoomStore _store;
    private readonly RoomOptions _options;
    private readonly TimeProvider _time;
    private readonly IModelInfo? _generator;
    private readonly IGalleryStore? _gallery;
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _createGate = new();

    /// <summary>Creates the service over a store.</summary>
    /// <param name="store">Where rooms live.</param>
    /// <param name="options">Limits and defaults.</param>
    /// <param name="time">Clock for participant timestamps (optional).</param>
    /// <param name="generator">Counts prompt tokens for <see cref="RoomOptions.MaxPromptTokens"/> (optional: without it, or
    /// while it cannot count, only <see cref="RoomOptions.MaxPromptLength"/> applies).</param>
    /// <param name="gallery">Composes a room's prompt with its preset, so the prompt the model sees is checked too (optional).</param>
    public RoomService(IRoomStore store, IOptions<RoomOptions> options, TimeProvider? time = null,
        IModelInfo? generator = null, IGalleryStore? gallery = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _generator = generator;
        _gallery = gallery;
    }

    /// <summary>Raised (outside any lock) with the room id after every revision bump; the frame scheduler listens.</summary>
    public event Action<string>? RevisionChanged;

    /// <summary>The limits in force.</summary>
    public RoomOptions Options => _options;

    /// <summary>How many rooms exist.</summary>
    public int RoomCount => _store.Count;

    /// <summary>Creates a room with an unguessable id (128 random bits, 22 URL-safe characters).</summary>
    /// <returns>The new room's id.</returns>
    /// <exception cref="RoomException">The server already holds <see cref="RoomOptions.MaxRooms"/> rooms.</exception>
    public string CreateRoom()
    {
        lock (_createGate)
        {
            if (_store.Count >= _options.MaxRooms)
                throw new RoomException(RoomErrorCodes.Limit, $"The server already holds {_options.MaxRooms} rooms (`RoomOptions.MaxRooms`).");
            var settings = new RoomSettings(_options.DefaultSteps, NewSeed(), false, _options.DefaultMode, _options.DefaultStrength,
                _options.DefaultControlScale, null);
            while (true)
            {
                var room = new Room(NewRoomId(), _options.DefaultPrompt, settings) { RevisionTimestamp = Stopwatch.GetTimestamp() };
                if (!_store.TryAdd(room)) continue; // a 128-bit collision; draw again
                lock (room.Gate) _store.OnChanged(room, new RoomChange(RoomChangeKind.Created));
                return room.Id;
            }
        }
    }

    /// <summary>True when <paramref name="roomId"/> is well formed and the room exists.</summary>
    public bool RoomExists(string? roomId) => roomId is not null && IsRoomId(roomId) && _store.Find(roomId) is not null;

    /// <summary>True when <paramref name="roomId"/> has the shape of a room id (22 URL-safe base64 characters).</summary>
    public static bool IsRoomId(string roomId) => RoomIdPattern().IsMatch(roomId);

    /// <summary>The room and participant a session is in, or null.</summary>
    public (string RoomId, string ParticipantId)? FindSession(string sessionId) =>
        _sessions.TryGetValue(sessionId, out var s) ? (s.RoomId, s.ParticipantId) : null;

    /// <summary>Checks a join request without changing anything (so a caller can stay in its room when the request is bad).</summary>
    /// <param name="roomId">The room to join.</param>
    /// <param name="displayName">The caller's name.</param>
    /// <exception cref="RoomException">Bad id or name, or unknown room.</exception>
    public void CheckJoin(string? roomId, string? displayName)
    {
        RequireRoom(roomId);
        ValidateDisplayName(displayName);
    }

    /// <summary>First half of joining: checks the room, the name and the room's capacity, and holds a place.</summary>
    /// <param name="roomId">The room to join.</param>
    /// <param name="sessionId">The caller's session (connection id); must not be in a room already.</param>
    /// <param name="displayName">The caller's name.</param>
    /// <param name="rejoinParticipantId">With <paramref name="rejoinToken"/>: become this earlier participant of the room again
    /// (after a reconnect); when the pair does not match, the caller joins as a new participant.</param>
    /// <param name="rejoinToken">The <see cref="RoomSnapshot.RejoinToken"/> that participant was given.</param>
    /// <returns>The participant, holding a place but not yet announced.</returns>
    /// <exception cref="RoomException">Bad id or name, unknown room, room full, or the session is already in a room.</exception>
    public JoiningParticipant Reserve(string? roomId, string sessionId, string? displayName, string? rejoinParticipantId = null, string? rejoinToken = null)
    {
        var room = RequireRoom(roomId);
        var name = ValidateDisplayName(displayName);
        lock (room.Gate)
        {
            if (rejoinParticipantId is not null && rejoinToken is not null
                && room.RejoinTokens.TryGetValue(rejoinParticipantId, out var secret)
                && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(secret), System.Text.Encoding.UTF8.GetBytes(rejoinToken))
                && room.Participants.TryGetValue(rejoinParticipantId, out var earlier))
            {
                return RejoinLocked(room, earlier, sessionId, name);
            }
            var held = room.Participants.Values.Count(p => p.HoldsPlace);
            if (held >= _options.MaxParticipantsPerRoom)
                throw new RoomException(RoomErrorCodes.RoomFull, $"Room '{room.Id}' is full ({_options.MaxParticipantsPerRoom} participants, `RoomOptions.MaxParticipantsPerRoom`).");
            var id = $"p{++room.ParticipantCounter}";
            var used = room.Participants.Values.Where(p => p.HoldsPlace).Select(p => p.Colour).ToHashSet();
            var colour = Palette.FirstOrDefault(c => !used.Contains(c)) ?? Palette[(room.ParticipantCounter - 1) % Palette.Length];
            var joining = new JoiningParticipant(id, name, colour, room.Id, sessionId);
            if (!_sessions.TryAdd(sessionId, new Session(room.Id, id)))
            {
                room.ParticipantCounter--;
                throw new RoomException(RoomErrorCodes.Conflict, "This connection is already in a room; leave it first.");
            }
            room.Participants[id] = joining;
            room.Histories[id] = new ParticipantHistory();
            return joining;
        }
    }

    private JoiningParticipant RejoinLocked(Room room, Participant earlier, string sessionId, string name)
    {
        if (!earlier.HoldsPlace && room.Participants.Values.Count(p => p.HoldsPlace) >= _options.MaxParticipantsPerRoom)
            throw new RoomException(RoomErrorCodes.RoomFull, $"Room '{room.Id}' is full ({_options.MaxParticipantsPerRoom} participants, `RoomOptions.MaxParticipantsPerRoom`).");
        // The old connection (if it has not closed yet) stops speaking for this participant.
        var oldSession = earlier switch { PresentParticipant p => p.SessionId, JoiningParticipant j => j.SessionId, _ => null };
        if (oldSession is not null) _sessions.TryRemove(new KeyValuePair<string, Session>(oldSession, new Session(room.Id, earlier.Id)));
        if (!_sessions.TryAdd(sessionId, new Session(room.Id, earlier.Id)))
            throw new RoomException(RoomErrorCodes.Conflict, "This connection is already in a room; leave it first.");
        var joining = new JoiningParticipant(earlier.Id, name, earlier.Colour, room.Id, sessionId);
        room.Participants[earlier.Id] = joining;
        return joining;
    }

    /// <summary>Second half of joining: makes the participant present and returns the snapshot and the presence event.</summary>
    /// <param name="joining">From <see cref="Reserve"/>.</param>
    /// <param name="model">The model behind the frames, for the snapshot.</param>
    /// <returns>The snapshot for the joiner and the presence message for the others.</returns>
    /// <exception cref="RoomException">The participant is no longer joining (it left meanwhile).</exception>
    public (RoomSnapshot Snapshot, PresenceMessage Presence) Admit(JoiningParticipant joining, ModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(joining);
        var room = RequireRoom(joining.RoomId);
        lock (room.Gate)
        {
            if (!room.Participants.TryGetValue(joining.Id, out var current) || current is not JoiningParticipant)
                throw new RoomException(RoomErrorCodes.NotJoined, "The join was abandoned before it completed.");
            var present = new PresentParticipant(joining.Id, joining.DisplayName, joining.Colour, joining.SessionId, _time.GetUtcNow());
            room.Participants[present.Id] = present;
            if (!room.RejoinTokens.ContainsKey(present.Id)) room.RejoinTokens[present.Id] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
            return (SnapshotLocked(room, present.Id, model), PresenceLocked(room, present));
        }
    }

    /// <summary>The session leaves its room (connection closed or another room joined). No-op when not in a room.</summary>
    /// <param name="sessionId">The session.</param>
    /// <returns>The room left and the presence message for those still there, or null.</returns>
    public (string RoomId, PresenceMessage Presence)? Leave(string sessionId)
    {
        if (!_sessions.TryRemove(sessionId, out var session)) return null;
        var room = _store.Find(session.RoomId);
        if (room is null) return null;
        lock (room.Gate)
        {
            if (!room.Participants.TryGetValue(session.ParticipantId, out var p)) return null;
            var left = new LeftParticipant(p.Id, p.DisplayName, p.Colour, _time.GetUtcNow());
            room.Participants[p.Id] = left;
            room.LastCursor.Remove(p.Id);
            // Strokes waiting in the leaver's redo stack can never come back.
            if (room.Histories.TryGetValue(p.Id, out var history)) DropRedoLocked(room, history);
            return (room.Id, PresenceLocked(room, left));
        }
    }

    /// <summary>The caller starts a stroke.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <param name="strokeId">Client-chosen id: 1–64 of <c>A–Z a–z 0–9 _ -</c>, unused in the room.</param>
    /// <param name="colour">"#rrggbb".</param>
    /// <param name="width">Width in canvas units, within [<see cref="RoomOptions.MinStrokeWidth"/>, <see cref="RoomOptions.MaxStrokeWidth"/>].</param>
    /// <returns>The event for the others.</returns>
    /// <exception cref="RoomException">Not joined, bad argument, id taken, or the room holds too many strokes.</exception>
    public StrokeBegunMessage BeginStroke(string sessionId, string? strokeId, string? colour, float width)
    {
        ValidateStrokeId(strokeId);
        if (colour is null || !ColourPattern().IsMatch(colour))
            throw Invalid($"`colour` must be \"#rrggbb\" but is {Quote(colour)}.");
        if (!float.IsFinite(width) || width < _options.MinStrokeWidth || width > _options.MaxStrokeWidth)
            throw Invalid($"`width` must be within [{_options.MinStrokeWidth}, {_options.MaxStrokeWidth}] canvas units but is {width}.");
        var (room, participant) = RequirePresent(sessionId);
        StrokeBegunMessage message;
        lock (room.Gate)
        {
            if (room.StrokesById.ContainsKey(strokeId))
                throw new RoomException(RoomErrorCodes.Conflict, $"`strokeId` '{strokeId}' is already used in this room.");
            // Strokes in the caller's redo stack are dropped by this new action, so they do not count.
            var droppable = room.Histories[participant].Redo.OfType<DrawAction>().Count(d => room.StrokesById.TryGetValue(d.StrokeId, out var s) && s.Undone);
            if (room.Strokes.Count - droppable >= _options.MaxStrokesPerRoom)
                throw new RoomException(RoomErrorCodes.Limit, $"The room holds {_options.MaxStrokesPerRoom} strokes (`RoomOptions.MaxStrokesPerRoom`); clear it to draw more.");
            var stroke = new Stroke(strokeId, participant, colour.ToLowerInvariant(), width);
            room.Strokes.Add(stroke);
            room.StrokesById.Add(strokeId, stroke);
            PushActionLocked(room, participant, new DrawAction(strokeId));
            var revision = BumpLocked(room);
            _store.OnChanged(room, new RoomChange(RoomChangeKind.StrokeBegun, strokeId));
            message = new StrokeBegunMessage(strokeId, participant, stroke.Colour, width, revision);
        }
        RevisionChanged?.Invoke(room.Id);
        return message;
    }

    /// <summary>The caller extends its own stroke in progress.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <param name="strokeId">A stroke the caller began and has not ended.</param>
    /// <param name="points">1 to <see cref="RoomOptions.MaxPointsPerAppend"/> points, finite, inside the canvas, pressure in [0, 1].</param>
    /// <returns>The event for the others.</returns>
    /// <exception cref="RoomException">Not joined, bad points, unknown, foreign or ended stroke, or the stroke is too long.</exception>
    public PointsAppendedMessage AppendPoints(string sessionId, string? strokeId, IReadOnlyList<StrokePoint>? points)
    {
        ValidateStrokeId(strokeId);
        ValidatePoints(points);
        var (room, participant) = RequirePresent(sessionId);
        PointsAppendedMessage message;
        lock (room.Gate)
        {
            var stroke = RequireOwnStrokeLocked(room, participant, strokeId);
            if (stroke.Ended)
                throw new RoomException(RoomErrorCodes.Conflict, $"Stroke '{strokeId}' has ended; begin a new stroke.");
            if (stroke.Points.Count + points.Count > _options.MaxPointsPerStroke)
                throw new RoomException(RoomErrorCodes.Limit, $"Stroke '{strokeId}' would have {stroke.Points.Count + points.Count} points; at most {_options.MaxPointsPerStroke} (`RoomOptions.MaxPointsPerStroke`).");
            stroke.Points.AddRange(points);
            var revision = BumpLocked(room);
            _store.OnChanged(room, new RoomChange(RoomChangeKind.PointsAppended, strokeId));
            message = new PointsAppendedMessage(strokeId, [.. points], revision);
        }
        RevisionChanged?.Invoke(room.Id);
        return message;
    }

    /// <summary>The caller finishes its own stroke; from here on the stroke is committed.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <param name="strokeId">A stroke the caller began.</param>
    /// <returns>The event for the others.</returns>
    /// <exception cref="RoomException">Not joined, unknown or foreign stroke, or already ended.</exception>
    public StrokeEndedMessage EndStroke(string sessionId, string? strokeId)
    {
        ValidateStrokeId(strokeId);
        var (room, participant) = RequirePresent(sessionId);
        StrokeEndedMessage message;
        lock (room.Gate)
        {
            var stroke = RequireOwnStrokeLocked(room, participant, strokeId);
            if (stroke.Ended)
                throw new RoomException(RoomErrorCodes.Conflict, $"Stroke '{strokeId}' has already ended.");
            stroke.Ended = true;
            var revision = BumpLocked(room);
            _store.OnChanged(room, new RoomChange(RoomChangeKind.StrokeEnded, strokeId));
            message = new StrokeEndedMessage(strokeId, revision);
        }
        RevisionChanged?.Invoke(room.Id);
        return message;
    }

    /// <summary>Undoes the caller's newest action (its own stroke, or its own clear). Others' actions are never touched.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <returns>What became hidden or visible; <see cref="HistoryResult.None"/> when nothing changed on the canvas.</returns>
    /// <exception cref="RoomException">Not joined.</exception>
    public HistoryResult Undo(string sessionId)
    {
        var (room, participant) = RequirePresent(sessionId);
        HistoryResult result;
        lock (room.Gate)
        {
            var history = room.Histories[participant];
            if (history.Undo.Last is not { } node) return HistoryResult.None;
            history.Undo.RemoveLast();
            history.Redo.Add(node.Value);
            result = node.Value switch
            {
                DrawAction draw => ChangeVisibilityLocked(room, participant, [draw.StrokeId], s => { s.Undone = true; s.Ended = true; }),
                ClearAction clear => ChangeVisibilityLocked(room, participant, clear.StrokeIds, s => s.RemoveClear(clear.ClearId)),
                _ => throw new UnreachableException(),
            };
        }
        if (result.Revision > 0) RevisionChanged?.Invoke(room.Id);
        return result;
    }

    /// <summary>Redoes the caller's newest undone action.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <returns>What became hidden or visible; <see cref="HistoryResult.None"/> when nothing changed on the canvas.</returns>
    /// <exception cref="RoomException">Not joined.</exception>
    public HistoryResult Redo(string sessionId)
    {
        var (room, participant) = RequirePresent(sessionId);
        HistoryResult result;
        lock (room.Gate)
        {
            var history = room.Histories[participant];
            if (history.Redo.Count == 0) return HistoryResult.None;
            var action = history.Redo[^1];
            history.Redo.RemoveAt(history.Redo.Count - 1);
            history.Undo.AddLast(action);
            result = action switch
            {
                DrawAction draw => ChangeVisibilityLocked(room, participant, [draw.StrokeId], s => s.Undone = false),
                ClearAction clear => ChangeVisibilityLocked(room, participant, clear.StrokeIds, s => s.AddClear(clear.ClearId)),
                _ => throw new UnreachableException(),
            };
        }
        if (result.Revision > 0) RevisionChanged?.Invoke(room.Id);
        return result;
    }

    /// <summary>Clears the canvas for everyone; the caller can undo it.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <returns>The event for everyone, or null when the canvas was already empty.</returns>
    /// <exception cref="RoomException">Not joined.</exception>
    public ClearedMessage? Clear(string sessionId)
    {
        var (room, participant) = RequirePresent(sessionId);
        ClearedMessage message;
        lock (room.Gate)
        {
            var visible = room.Strokes.Where(s => s.Visible).ToList();
            if (visible.Count == 0) return null;
            var clearId = ++room.ClearCounter;
            foreach (var s in visible) s.AddClear(clearId);
            PushActionLocked(room, participant, new ClearAction(clearId, [.. visible.Select(s => s.Id)]));
            var revision = BumpLocked(room);
            _store.OnChanged(room, new RoomChange(RoomChangeKind.Visibility));
            message = new ClearedMessage(participant, revision);
        }
        RevisionChanged?.Invoke(room.Id);
        return message;
    }

    /// <summary>Sets the room's prompt; without a seed lock a new seed comes with it.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <param name="prompt">At most <see cref="RoomOptions.MaxPromptLength"/> characters, no control characters except new lines and
    /// tabs; then at most <see cref="RoomOptions.MaxPromptTokens"/> tokens, alone and composed with the room's preset.</param>
    /// <returns>The event for everyone.</returns>
    /// <exception cref="RoomException">Not joined or bad prompt.</exception>
    public PromptChangedMessage SetPrompt(string sessionId, string? prompt)
    {
        if (prompt is null) throw Invalid("`prompt` must be a string but is null.");
        if (prompt.Length > _options.MaxPromptLength)
            throw Invalid($"`prompt` has {prompt.Length} characters; at most {_options.MaxPromptLength} (`RoomOptions.MaxPromptLength`).");
        var bad = prompt.IndexOfAny([.. Enumerable.Range(0, 32).Where(c => c != '\n' && c != '\t').Select(c => (char)c), '\u007f']);
        if (bad >= 0) throw Invalid($"`prompt` contains a control character (U+{(int)prompt[bad]:X4}) at index {bad}.");
        var tokens = CountPromptTokens(prompt);
        if (tokens > _options.MaxPromptTokens)
            throw Invalid($"`prompt` takes {tokens} tokens; at most {_options.MaxPromptTokens} (`RoomOptions.MaxPromptTokens`).");
        var (room, participant) = RequirePresent(sessionId);
        PromptChangedMessage message;
        lock (room.Gate)
        {
            // The model sees the prompt inside the room's preset template; under the lock, so a concurrent preset change cannot slip past.
            if (ComposedPromptTokens(prompt, room.Settings.PresetId) is { } composed && composed > _options.MaxPromptTokens)
                throw Invalid($"`prompt` takes {composed} tokens within preset '{room.Settings.PresetId}'; at most {_options.MaxPromptTokens} (`RoomOptions.MaxPromptTokens`).");
            room.Prompt = prompt;
            if (!room.Settings.SeedLocked) room.Settings = room.Settings with { Seed = NewSeed() };
            var revision = BumpLocked(room);
            _store.OnChanged(room, new RoomChange(RoomChangeKind.Prompt));
            message = new PromptChangedMessage(prompt, room.Settings, participant, revision);
        }
        RevisionChanged?.Invoke(room.Id);
        return message;
    }

    /// <summary>Replaces the room's settings.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <param name="settings">Steps 1–4, seed in [0, 2^53 − 1], a defined mode, strength in [0, 1], control scale in [0, 2],
    /// preset id null or 1–64 of <c>a–z 0–9 -</c>.</param>
    /// <returns>The event for everyone.</returns>
    /// <exception cref="RoomException">Not joined or bad settings, or a new preset that would take the room's prompt past
    /// <see cref="RoomOptions.MaxPromptTokens"/>.</exception>
    public SettingsChangedMessage SetSettings(string sessionId, RoomSettings? settings)
    {
        ValidateSettings(settings);
        var (room, participant) = RequirePresent(sessionId);
        SettingsChangedMessage message;
        lock (room.Gate)
        {
            // Only a change of preset changes the prompt the model sees; other settings never fail on an older prompt.
            if (settings.PresetId != room.Settings.PresetId && ComposedPromptTokens(room.Prompt, settings.PresetId) is { } composed
                && composed > _options.MaxPromptTokens)
                throw Invalid($"`settings.presetId` '{settings.PresetId}' makes the room's prompt take {composed} tokens; at most {_options.MaxPromptTokens} (`RoomOptions.MaxPromptTokens`).");
            room.Settings = settings;
            var revision = BumpLocked(room);
            _store.OnChanged(room, new RoomChange(RoomChangeKind.Settings));
            message = new SettingsChangedMessage(settings, participant, revision);
        }
        RevisionChanged?.Invoke(room.Id);
        return message;
    }

    /// <summary>The caller's pointer moved; throttled to <see cref="RoomOptions.CursorInterval"/> per participant.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <param name="x">Canvas x, finite, inside the canvas.</param>
    /// <param name="y">Canvas y, finite, inside the canvas.</param>
    /// <returns>The event for the others, or null when throttled.</returns>
    /// <exception cref="RoomException">Not joined or bad coordinates.</exception>
    public CursorMessage? Cursor(string sessionId, float x, float y)
    {
        ValidateCoordinate("x", x, _options.CanvasWidth);
        ValidateCoordinate("y", y, _options.CanvasHeight);
        var (room, participant) = RequirePresent(sessionId);
        var now = Stopwatch.GetTimestamp();
        lock (room.Gate)
        {
            if (room.LastCursor.TryGetValue(participant, out var last) && Stopwatch.GetElapsedTime(last, now) < _options.CursorInterval)
                return null;
            room.LastCursor[participant] = now;
        }
        return new CursorMessage(participant, x, y);
    }

    /// <summary>The revision of the session's room.</summary>
    /// <param name="sessionId">The caller.</param>
    /// <returns>The current revision.</returns>
    /// <exception cref="RoomException">Not joined.</exception>
    public long GetRevision(string sessionId)
    {
        var (room, _) = RequirePresent(sessionId);
        lock (room.Gate) return room.Revision;
    }

    /// <summary>A joiner's view of a room without joining it (e.g. for a server-side component).</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="model">The model behind the frames.</param>
    /// <returns>The snapshot, with an empty <see cref="RoomSnapshot.ParticipantId"/>.</returns>
    /// <exception cref="RoomException">Bad id or unknown room.</exception>
    public RoomSnapshot GetSnapshot(string roomId, ModelInfo model)
    {
        var room = RequireRoom(roomId);
        lock (room.Gate) return SnapshotLocked(room, "", model);
    }

    /// <summary>What the frame scheduler renders: a copy of the visible strokes, prompt and settings at one revision.</summary>
    /// <param name="roomId">The room.</param>
    /// <returns>The state, or null when the room does not exist.</returns>
    public RoomRenderState? GetRenderState(string roomId)
    {
        var room = _store.Find(roomId);
        if (room is null) return null;
        lock (room.Gate)
        {
            return new RoomRenderState(room.Id, room.Revision, Stopwatch.GetElapsedTime(room.RevisionTimestamp),
                [.. room.Strokes.Where(s => s.Visible && s.Points.Count > 0).Select(s => s.ToData())],
                room.Prompt, _gallery?.ComposePrompt(room.Prompt, room.Settings.PresetId) ?? room.Prompt,
                room.Settings, _options.CanvasWidth, _options.CanvasHeight);
        }
    }

    /// <inheritdoc />
    ValueTask<RoomRenderState?> IRenderSource.GetRenderStateAsync(string roomId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetRenderState(roomId));

    /// <inheritdoc />
    ValueTask IRenderSource.FrameReadyAsync(string roomId, FrameMessage frame)
    {
        SetLastFrame(roomId, frame);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>A room keeps no failures: its members were told, and its next revision is rendered as any other.</remarks>
    ValueTask IRenderSource.FrameFailedAsync(string roomId, FrameFailedMessage failure) => ValueTask.CompletedTask;

    /// <summary>Remembers a room's newest frame for joiners; older revisions than the one held are ignored.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="frame">The frame.</param>
    public void SetLastFrame(string roomId, FrameMessage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var room = _store.Find(roomId);
        if (room is null) return;
        lock (room.Gate)
        {
            if (room.LastFrame is null || frame.Revision >= room.LastFrame.Revision)
            {
                room.LastFrame = frame;
                _store.OnChanged(room, new RoomChange(RoomChangeKind.Frame));
            }
        }
    }

    private static long BumpLocked(Room room)
    {
        room.RevisionTimestamp = Stopwatch.GetTimestamp();
        return ++room.Revision;
    }

    private void PushActionLocked(Room room, string participant, RoomAction action)
    {
        var history = room.Histories[participant];
        DropRedoLocked(room, history);
        history.Undo.AddLast(action);
        while (history.Undo.Count > _options.MaxUndoDepth)
        {
            // The oldest action becomes permanent; strokes its clear hid are gone for good.
            var oldest = history.Undo.First!.Value;
            history.Undo.RemoveFirst();
            if (oldest is ClearAction clear)
                PurgeLocked(room, clear.StrokeIds.Where(id => room.StrokesById.TryGetValue(id, out var s) && s.ClearedBy.Contains(clear.ClearId)));
        }
    }

    private void DropRedoLocked(Room room, ParticipantHistory history)
    {
        // Undone strokes that can no longer be redone are dropped, so they stop counting against the room's limit.
        var undoneDraws = history.Redo.OfType<DrawAction>().Select(d => d.StrokeId).ToList();
        history.Redo.Clear();
        PurgeLocked(room, undoneDraws.Where(id => room.StrokesById.TryGetValue(id, out var s) && s.Undone));
    }

    private void PurgeLocked(Room room, IEnumerable<string> strokeIds)
    {
        var ids = strokeIds.ToHashSet(StringComparer.Ordinal);
        if (ids.Count == 0) return;
        room.Strokes.RemoveAll(s => ids.Contains(s.Id));
        foreach (var id in ids) room.StrokesById.Remove(id);
        _store.OnChanged(room, new RoomChange(RoomChangeKind.StrokesPurged));
    }

    private HistoryResult ChangeVisibilityLocked(Room room, string participant, IReadOnlyList<string> strokeIds, Action<Stroke> change)
    {
        List<Stroke> hidden = [], shown = [];
        foreach (var id in strokeIds)
        {
            if (!room.StrokesById.TryGetValue(id, out var stroke)) continue;
            var before = stroke.Visible;
            change(stroke);
            if (before && !stroke.Visible) hidden.Add(stroke);
            else if (!before && stroke.Visible) shown.Add(stroke);
        }
        if (hidden.Count == 0 && shown.Count == 0) return HistoryResult.None;
        var revision = BumpLocked(room);
        _store.OnChanged(room, new RoomChange(RoomChangeKind.Visibility));
        return new HistoryResult(
            revision,
            hidden.Count > 0 ? new StrokesRemovedMessage([.. hidden.Select(s => s.Id)], participant, revision) : null,
            shown.Count > 0
                ? new StrokesRestoredMessage([.. shown.Select(s => s.ToData())], [.. room.Strokes.Where(s => s.Visible).Select(s => s.Id)], participant, revision)
                : null);
    }

    private RoomSnapshot SnapshotLocked(Room room, string participantId, ModelInfo model) =>
        new(room.Id, participantId, room.Revision, _options.CanvasWidth, _options.CanvasHeight,
            [.. room.Strokes.Where(s => s.Visible).Select(s => s.ToData())],
            [.. PresentLocked(room)],
            room.Prompt, room.Settings, room.LastFrame, model,
            participantId.Length > 0 && room.RejoinTokens.TryGetValue(participantId, out var token) ? token : "");

    private static PresenceMessage PresenceLocked(Room room, Participant changed) =>
        new(ToInfo(changed), [.. PresentLocked(room)]);

    private static IEnumerable<ParticipantInfo> PresentLocked(Room room) =>
        room.Participants.Values.OfType<PresentParticipant>().Select(ToInfo);

    private static ParticipantInfo ToInfo(Participant p) => new(p.Id, p.DisplayName, p.Colour, p.State);

    private Room RequireRoom(string? roomId)
    {
        if (roomId is null || !IsRoomId(roomId))
            throw Invalid($"`roomId` must be 22 URL-safe characters (A–Z a–z 0–9 _ -) but is {Quote(roomId)}.");
        return _store.Find(roomId) ?? throw new RoomException(RoomErrorCodes.NotFound, $"Room '{roomId}' does not exist.");
    }

    private (Room Room, string ParticipantId) RequirePresent(string sessionId)
    {
        if (!_sessions.TryGetValue(sessionId, out var session))
            throw new RoomException(RoomErrorCodes.NotJoined, "Join a room first (`JoinRoom`).");
        var room = _store.Find(session.RoomId) ?? throw new RoomException(RoomErrorCodes.NotFound, $"Room '{session.RoomId}' no longer exists.");
        return (room, session.ParticipantId);
    }

    private static Stroke RequireOwnStrokeLocked(Room room, string participant, string strokeId)
    {
        if (!room.StrokesById.TryGetValue(strokeId, out var stroke))
            throw new RoomException(RoomErrorCodes.NotFound, $"Stroke '{strokeId}' does not exist in this room.");
        if (stroke.OwnerId != participant)
            throw new RoomException(RoomErrorCodes.Forbidden, $"Stroke '{strokeId}' belongs to another participant.");
        return stroke;
    }

    private string ValidateDisplayName(string? displayName)
    {
        var name = displayName?.Trim();
        if (string.IsNullOrEmpty(name))
            throw Invalid("`displayName` must not be empty.");
        if (name.Length > _options.MaxDisplayNameLength)
            throw Invalid($"`displayName` has {name.Length} characters; at most {_options.MaxDisplayNameLength} (`RoomOptions.MaxDisplayNameLength`).");
        if (!DisplayNamePattern().IsMatch(name))
            throw Invalid($"`displayName` may hold letters, digits, spaces and _ . ' - only, but is {Quote(name)}.");
        return name;
    }

    private static void ValidateStrokeId([System.Diagnostics.CodeAnalysis.NotNull] string? strokeId)
    {
        if (strokeId is null || !StrokeIdPattern().IsMatch(strokeId))
            throw Invalid($"`strokeId` must be 1–64 characters of A–Z a–z 0–9 _ - but is {Quote(strokeId)}.");
    }

    private void ValidatePoints([System.Diagnostics.CodeAnalysis.NotNull] IReadOnlyList<StrokePoint>? points)
    {
        if (points is null || points.Count == 0) throw Invalid("`points` must hold at least one point.");
        if (points.Count > _options.MaxPointsPerAppend)
            throw new RoomException(RoomErrorCodes.Limit, $"`points` holds {points.Count} points; at most {_options.MaxPointsPerAppend} per call (`RoomOptions.MaxPointsPerAppend`).");
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            ValidateCoordinate($"points[{i}].x", p.X, _options.CanvasWidth);
            ValidateCoordinate($"points[{i}].y", p.Y, _options.CanvasHeight);
            if (!float.IsFinite(p.Pressure) || p.Pressure < 0 || p.Pressure > 1)
                throw Invalid($"`points[{i}].pressure` must be within [0, 1] but is {p.Pressure}.");
        }
    }

    private static void ValidateCoordinate(string name, float value, int extent)
    {
        if (!float.IsFinite(value)) throw Invalid($"`{name}` must be finite but is {value}.");
        if (value < 0 || value > extent) throw Invalid($"`{name}` must be within [0, {extent}] canvas units but is {value}.");
    }

    private static void ValidateSettings([System.Diagnostics.CodeAnalysis.NotNull] RoomSettings? settings)
    {
        if (settings is null) throw Invalid("`settings` must not be null.");
        if (settings.Steps is < 1 or > 4) throw Invalid($"`settings.steps` must be 1–4 but is {settings.Steps}.");
        if (settings.Seed is < 0 or > MaxSeed) throw Invalid($"`settings.seed` must be within [0, 2^53 − 1] but is {settings.Seed}.");
        if (!Enum.IsDefined(settings.Mode)) throw Invalid($"`settings.mode` must be one of {string.Join(", ", Enum.GetNames<GuidanceMode>())} but is {(int)settings.Mode}.");
        if (!float.IsFinite(settings.Strength) || settings.Strength < 0 || settings.Strength > 1)
            throw Invalid($"`settings.strength` must be within [0, 1] but is {settings.Strength}.");
        if (!float.IsFinite(settings.ControlScale) || settings.ControlScale < 0 || settings.ControlScale > 2)
            throw Invalid($"`settings.controlScale` must be within [0, 2] but is {settings.ControlScale}.");
        if (settings.PresetId is not null && !PresetIdPattern().IsMatch(settings.PresetId))
            throw Invalid($"`settings.presetId` must be null or 1–64 characters of a–z 0–9 - but is {Quote(settings.PresetId)}.");
    }

    private static RoomException Invalid(string message) => new(RoomErrorCodes.InvalidArgument, message);

    /// <summary>The prompt's tokens in the model's tokenizer, or null when no generator can count them (yet).</summary>
    private int? CountPromptTokens(string prompt) => _generator?.CountPromptTokens(prompt);

    /// <summary>Tokens of the prompt composed into a preset's template, or null when there is no preset, it leaves the prompt as it is, or nothing can count.</summary>
    private int? ComposedPromptTokens(string prompt, string? presetId)
    {
        if (presetId is null || _gallery is null || _generator is null) return null;
        var composed = _gallery.ComposePrompt(prompt, presetId);
        return string.Equals(composed, prompt, StringComparison.Ordinal) ? null : _generator.CountPromptTokens(composed);
    }

    private static string Quote(string? value) => value is null ? "null" : value.Length > 80 ? $"'{value[..80]}…' ({value.Length} characters)" : $"'{value}'";

    private static string NewRoomId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    private static long NewSeed() => Random.Shared.NextInt64(0, int.MaxValue);

    [GeneratedRegex("^[A-Za-z0-9_-]{22}$")]
    private static partial Regex RoomIdPattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex StrokeIdPattern();

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColourPattern();

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex PresetIdPattern();

    [GeneratedRegex(@"^[\p{L}\p{M}\p{N} _.'-]+$")]
    private static partial Regex DisplayNamePattern();

    private sealed record Session(string RoomId, string ParticipantId);
}

/// <summary>The outcome of an undo or redo: strokes hidden and strokes shown again.</summary>
/// <param name="Revision">The new revision, or 0 when nothing changed.</param>
/// <param name="Removed">Strokes now hidden, or null.</param>
/// <param name="Restored">Strokes now visible again, or null.</param>
public sealed record HistoryResult(long Revision, StrokesRemovedMessage? Removed, StrokesRestoredMessage? Restored)
{
    /// <summary>Nothing to undo or redo, or no visible change.</summary>
    public static HistoryResult None { get; } = new(0, null, null);
}

