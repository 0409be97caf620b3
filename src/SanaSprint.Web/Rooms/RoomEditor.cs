using System.Buffers.Text;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// The rules of one room: strokes with their owners, undo and redo of the caller's own actions, clear, prompt and settings,
/// joining and rejoining, who may change the room (host, drawers, watchers, the host's lock and removals), and what
/// joiners and the renderer see. Each method takes the room and the caller, changes the
/// room or throws, and returns what happened as a <see cref="RoomEvent"/>.
/// </summary>
/// <remarks>
/// <para>No SignalR, no store, no locks: the holder of a room (<see cref="LocalRoomDirectory"/> in one process) calls one
/// method at a time per room, hands <see cref="Room.TakeChanges"/> to its store, and publishes the events.</para>
/// <para>Every method validates its arguments against <see cref="RoomOptions"/> and <see cref="RoomRules"/> and throws
/// <see cref="RoomException"/> with a sentence naming the argument; the room is unchanged then.</para>
/// </remarks>
public sealed partial class RoomEditor
{
    /// <summary>Colours handed to participants in turn (distinct on white and dark backgrounds).</summary>
    private static readonly string[] Palette =
        ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#469990", "#800000", "#808000", "#000075"];

    /// <summary>
    /// Characters a prompt may not hold: Unicode's control characters (category Cc: C0, DEL and C1) except new line and
    /// tab, and the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder what
    /// other people see. Joiners and variation selectors, which emoji need, stay allowed.
    /// </summary>
    private static readonly System.Buffers.SearchValues<char> ForbiddenPromptCharacters = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0xA0).Select(c => (char)c).Where(c => char.IsControl(c) && c is not '\n' and not '\t'),
         .. Enumerable.Range(0x202A, 5).Select(c => (char)c), .. Enumerable.Range(0x2066, 4).Select(c => (char)c)]);

    /// <summary>What a removed participant is told, when removed and when it tries to rejoin as itself.</summary>
    private const string RemovedNotice = "The host removed you from this room; you can come back only with an invite while the room is unlocked.";

    private readonly RoomOptions _options;
    private readonly TimeProvider _time;
    private readonly IModelInfo? _model;
    private readonly IGalleryStore? _gallery;

    /// <summary>Creates the rules.</summary>
    /// <param name="options">Limits and defaults.</param>
    /// <param name="time">Clock for participant timestamps, revision ages and cursor throttling (optional).</param>
    /// <param name="model">Counts prompt tokens for <see cref="RoomOptions.MaxPromptTokens"/> (optional: without it, or while it
    /// cannot count, only <see cref="RoomOptions.MaxPromptLength"/> applies).</param>
    /// <param name="gallery">Composes a room's prompt with its preset, so the prompt the model sees is checked too (optional).</param>
    public RoomEditor(RoomOptions options, TimeProvider? time = null, IModelInfo? model = null, IGalleryStore? gallery = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        _model = model;
        _gallery = gallery;
    }

    /// <summary>The limits in force.</summary>
    public RoomOptions Options => _options;

    /// <summary>A new room with the default prompt and settings and a fresh seed.</summary>
    /// <param name="roomId">Its id.</param>
    public Room CreateRoom(string roomId)
    {
        var settings = new FrameSettings(_options.DefaultSteps, RoomRules.NewSeed(), false, _options.DefaultMode, _options.DefaultStrength,
            _options.DefaultControlScale, null);
        var room = new Room(roomId, _options.DefaultPrompt, settings) { RevisionTimestamp = _time.GetTimestamp(), LastActivity = _time.GetUtcNow(), WatchId = NewRoomId() };
        room.RecordChange(new RoomChange(RoomChangeKind.Created));
        return room;
    }

    /// <summary>True while someone is in the room (present or joining) or the room keeps strokes (visible or undoable).</summary>
    /// <param name="room">The room, under its lock.</param>
    public static bool IsInUse(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return room.Strokes.Count > 0 || room.Participants.Values.Any(p => p.HoldsPlace);
    }

    /// <summary>True when the room is not in use and has not been for <see cref="RoomOptions.EmptyRoomIdleTime"/>.</summary>
    /// <param name="room">The room, under its lock.</param>
    public bool IsIdleEmpty(Room room) => !IsInUse(room) && _time.GetUtcNow() - room.LastActivity >= _options.EmptyRoomIdleTime;

    /// <summary>A new unguessable room id (128 random bits, 22 URL-safe characters).</summary>
    public static string NewRoomId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    /// <summary>True when <paramref name="roomId"/> has the shape of a room id (22 URL-safe base64 characters).</summary>
    public static bool IsRoomId([NotNullWhen(true)] string? roomId) => roomId is not null && RoomIdPattern().IsMatch(roomId);

    /// <summary>Throws unless <paramref name="roomId"/> has the shape of a room id.</summary>
    /// <exception cref="RoomException">A malformed id.</exception>
    public static void CheckRoomId([NotNull] string? roomId)
    {
        if (!IsRoomId(roomId))
            throw Invalid($"`roomId` must be 22 URL-safe characters (A–Z a–z 0–9 _ -) but is {Quote(roomId)}.");
    }

    /// <summary>The display name, trimmed, or an exception naming the rule it breaks.</summary>
    /// <exception cref="RoomException">Empty, too long, or with characters other than letters, digits, spaces and <c>_ . ' -</c>.</exception>
    public string CheckDisplayName(string? displayName)
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

    /// <summary>First half of joining: checks the name and the room's capacity, and holds a place.</summary>
    /// <param name="room">The room.</param>
    /// <param name="sessionId">The caller's connection (or circuit).</param>
    /// <param name="displayName">The caller's name.</param>
    /// <param name="rejoinParticipantId">With <paramref name="rejoinToken"/>: become this earlier participant of the room again
    /// (after a reconnect); when the pair does not match, the caller joins as a new participant.</param>
    /// <param name="rejoinToken">The <see cref="RoomView.RejoinToken"/> that participant was given.</param>
    /// <param name="watching">True when the caller came by the watch-only link: a new participant is then a watcher (a
    /// rejoining one keeps its role).</param>
    /// <returns>The participant, holding a place but not yet announced, and the session it replaces after a rejoin (or null).</returns>
    /// <exception cref="RoomException">Bad name, the room is full, a removed participant's rejoin, or a newcomer to a locked room.</exception>
    public (JoiningParticipant Joining, string? ReplacedSessionId) Reserve(Room room, string sessionId, string? displayName,
        string? rejoinParticipantId = null, string? rejoinToken = null, bool watching = false)
    {
        ArgumentNullException.ThrowIfNull(room);
        var name = CheckDisplayName(displayName);
        DropDeparted(room);
        CheckAdmission(room, rejoinParticipantId, rejoinToken);
        if (FindRejoin(room, rejoinParticipantId, rejoinToken) is { } earlier)
        {
            if (!earlier.HoldsPlace) RequireFreePlace(room);
            // The old connection (if it has not closed yet) stops speaking for this participant.
            var oldSession = earlier switch { PresentParticipant p => p.SessionId, JoiningParticipant j => j.SessionId, _ => null };
            var again = new JoiningParticipant(earlier.Id, UniqueName(room, name, earlier.Id), earlier.Colour, room.Id, sessionId);
            room.Participants[earlier.Id] = again;
            // Until admitted again it is not present: a view taken meanwhile lists someone fewer, so it counts as a change.
            if (earlier is PresentParticipant) room.PresenceVersion++;
            return (again, oldSession);
        }
        RequireFreePlace(room);
        name = UniqueName(room, name, null);
        var id = $"p{++room.ParticipantCounter}";
        var used = room.Participants.Values.Where(p => p.HoldsPlace).Select(p => p.Colour).ToHashSet();
        var colour = Palette.FirstOrDefault(c => !used.Contains(c)) ?? Palette[(room.ParticipantCounter - 1) % Palette.Length];
        var joining = new JoiningParticipant(id, name, colour, room.Id, sessionId);
        room.Participants[id] = joining;
        room.Histories[id] = new UndoHistory(_options.MaxUndoDepth);
        if (watching) room.Watchers.Add(id);
        return (joining, null);
    }

    /// <summary>Second half of joining: makes the participant present.</summary>
    /// <param name="room">The room.</param>
    /// <param name="joining">From <see cref="Reserve"/>.</param>
    /// <returns>The joiner's view and the presence event for the others.</returns>
    /// <exception cref="RoomException">The participant is no longer joining (it left meanwhile).</exception>
    public (RoomView View, PresenceChanged Presence) Admit(Room room, JoiningParticipant joining)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(joining);
        if (!room.Participants.TryGetValue(joining.Id, out var current) || current != joining)
            throw new RoomException(RoomErrorCodes.NotJoined, "The join was abandoned before it completed.");
        var present = new PresentParticipant(joining.Id, joining.DisplayName, joining.Colour, joining.SessionId, _time.GetUtcNow());
        room.Participants[present.Id] = present;
        room.PresenceVersion++;
        if (!room.RejoinTokens.ContainsKey(present.Id)) room.RejoinTokens[present.Id] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        // The room's creator joins it right after creating it: the first participant by the drawing invite is its host.
        if (room.HostId is null && !room.Watchers.Contains(present.Id)) room.HostId = present.Id;
        room.RecordChange(new RoomChange(RoomChangeKind.Access));
        return (View(room, present.Id), Presence(room, present));
    }

    /// <summary>A participant leaves (connection closed, another room joined, or an abandoned join).</summary>
    /// <param name="room">The room.</param>
    /// <param name="participantId">The participant.</param>
    /// <param name="sessionId">The session leaving: when the participant has rejoined from another session since, nothing changes.</param>
    /// <returns>The presence event for those still there, or null when nothing changed.</returns>
    public PresenceChanged? Leave(Room room, string participantId, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(room);
        if (!room.Participants.TryGetValue(participantId, out var p)) return null;
        if (p is PresentParticipant { SessionId: var s } && s != sessionId || p is JoiningParticipant { SessionId: var j } && j != sessionId) return null;
        var left = new LeftParticipant(p.Id, p.DisplayName, p.Colour, _time.GetUtcNow());
        room.Participants[p.Id] = left;
        room.LastActivity = left.LeftAt;
        DropDeparted(room);
        room.PresenceVersion++;
        room.LastCursor.Remove(p.Id);
        // Strokes waiting in the leaver's redo stack can never come back.
        if (room.Histories.TryGetValue(p.Id, out var history)) DropUndone(room, history.DropRedo());
        return Presence(room, left);
    }

    /// <summary>The caller starts a stroke.</summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">A present participant.</param>
    /// <param name="strokeId">Client-chosen id: 1–64 of <c>A–Z a–z 0–9 _ -</c>, unused in the room.</param>
    /// <param name="colour">"#rrggbb".</param>
    /// <param name="width">Width in canvas units, within [<see cref="RoomOptions.MinStrokeWidth"/>, <see cref="RoomOptions.MaxStrokeWidth"/>].</param>
    /// <exception cref="RoomException">Not joined, not allowed to change the room (<see cref="RoomAccess.MayChange"/>), bad argument, id taken, or the room holds too many strokes.</exception>
    public StrokeBegun BeginStroke(Room room, RoomCaller caller, string? strokeId, string? colour, float width)
    {
        CheckStrokeId(strokeId);
        if (colour is null || !ColourPattern().IsMatch(colour))
            throw Invalid($"`colour` must be \"#rrggbb\" but is {Quote(colour)}.");
        if (!float.IsFinite(width) || width < _options.MinStrokeWidth || width > _options.MaxStrokeWidth)
            throw Invalid($"`width` must be within [{_options.MinStrokeWidth}, {_options.MaxStrokeWidth}] canvas units but is {width}.");
        var participant = RequireMayChange(room, caller);
        if (room.StrokesById.ContainsKey(strokeId))
            throw new RoomException(RoomErrorCodes.Conflict, $"`strokeId` '{strokeId}' is already used in this room.");
        // Strokes in the caller's redo stack are dropped by this new action, so they do not count.
        var droppable = room.Histories[participant].RedoActions.OfType<DrawAction>()
            .Count(d => room.StrokesById.TryGetValue(d.StrokeId, out var s) && s.Undone);
        if (room.Strokes.Count - droppable >= _options.MaxStrokesPerRoom)
            throw new RoomException(RoomErrorCodes.Limit, $"The room holds {_options.MaxStrokesPerRoom} strokes (`RoomOptions.MaxStrokesPerRoom`); clear it to draw more.");
        CheckRoomSize(room, addedStrokes: 1, addedPoints: 0);
        var stroke = new Stroke(strokeId, participant, colour.ToLowerInvariant(), width);
        room.Strokes.Add(stroke);
        room.StrokesById.Add(strokeId, stroke);
        Push(room, participant, new DrawAction(strokeId));
        var revision = Bump(room);
        room.RecordChange(new RoomChange(RoomChangeKind.StrokeBegun, strokeId));
        return new StrokeBegun(room.Id, revision, strokeId, participant, stroke.Colour, width);
    }

    /// <summary>The caller extends its own stroke in progress.</summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">A present participant.</param>
    /// <param name="strokeId">A stroke the caller began and has not ended.</param>
    /// <param name="points">1 to <see cref="RoomOptions.MaxPointsPerAppend"/> points, finite, inside the canvas, pressure in [0, 1].</param>
    /// <exception cref="RoomException">Not joined, not allowed to change the room, bad points, unknown, foreign or ended stroke, or the stroke is too long.</exception>
    public PointsAppended AppendPoints(Room room, RoomCaller caller, string? strokeId, IReadOnlyList<CanvasPoint>? points)
    {
        CheckStrokeId(strokeId);
        CheckPoints(points);
        var participant = RequireMayChange(room, caller);
        var stroke = RequireOwnStroke(room, participant, strokeId);
        if (stroke.Ended)
            throw new RoomException(RoomErrorCodes.Conflict, $"Stroke '{strokeId}' has ended; begin a new stroke.");
        if (stroke.Points.Count + points.Count > _options.MaxPointsPerStroke)
            throw new RoomException(RoomErrorCodes.Limit, $"Stroke '{strokeId}' would have {stroke.Points.Count + points.Count} points; at most {_options.MaxPointsPerStroke} (`RoomOptions.MaxPointsPerStroke`).");
        CheckRoomSize(room, addedStrokes: 0, addedPoints: points.Count);
        stroke.Points.AddRange(points);
        var revision = Bump(room);
        room.RecordChange(new RoomChange(RoomChangeKind.PointsAppended, strokeId));
        return new PointsAppended(room.Id, revision, strokeId, [.. points]);
    }

    /// <summary>The caller finishes its own stroke.</summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">A present participant.</param>
    /// <param name="strokeId">A stroke the caller began.</param>
    /// <exception cref="RoomException">Not joined, not allowed to change the room, unknown or foreign stroke, or already ended.</exception>
    public StrokeEnded EndStroke(Room room, RoomCaller caller, string? strokeId)
    {
        CheckStrokeId(strokeId);
        var participant = RequireMayChange(room, caller);
        var stroke = RequireOwnStroke(room, participant, strokeId);
        if (stroke.Ended)
            throw new RoomException(RoomErrorCodes.Conflict, $"Stroke '{strokeId}' has already ended.");
        stroke.Ended = true;
        var revision = Bump(room);
        room.RecordChange(new RoomChange(RoomChangeKind.StrokeEnded, strokeId));
        return new StrokeEnded(room.Id, revision, strokeId);
    }

    /// <summary>Undoes the caller's newest action (its own stroke, or its own clear). Others' actions are never touched.</summary>
    /// <returns>What became hidden or visible; null when nothing changed on the canvas.</returns>
    /// <exception cref="RoomException">Not joined, or not allowed to change the room (<see cref="RoomAccess.MayChange"/>).</exception>
    public StrokesVisibilityChanged? Undo(Room room, RoomCaller caller)
    {
        var participant = RequireMayChange(room, caller);
        return room.Histories[participant].Undo() switch
        {
            null => null,
            DrawAction draw => ChangeVisibility(room, participant, [draw.StrokeId], s => { s.Undone = true; s.Ended = true; }),
            ClearAction clear => ChangeVisibility(room, participant, clear.StrokeIds, s => s.RemoveClear(clear.ClearId)),
            _ => throw new UnreachableException(),
        };
    }

    /// <summary>Redoes the caller's newest undone action.</summary>
    /// <returns>What became hidden or visible; null when nothing changed on the canvas.</returns>
    /// <exception cref="RoomException">Not joined, or not allowed to change the room (<see cref="RoomAccess.MayChange"/>).</exception>
    public StrokesVisibilityChanged? Redo(Room room, RoomCaller caller)
    {
        var participant = RequireMayChange(room, caller);
        return room.Histories[participant].Redo() switch
        {
            null => null,
            DrawAction draw => ChangeVisibility(room, participant, [draw.StrokeId], s => s.Undone = false),
            ClearAction clear => ChangeVisibility(room, participant, clear.StrokeIds, s => s.AddClear(clear.ClearId)),
            _ => throw new UnreachableException(),
        };
    }

    /// <summary>Clears the canvas for everyone; the caller can undo it.</summary>
    /// <returns>The event, or null when the canvas was already empty.</returns>
    /// <exception cref="RoomException">Not joined, or not allowed to change the room (<see cref="RoomAccess.MayChange"/>).</exception>
    public CanvasCleared? Clear(Room room, RoomCaller caller)
    {
        var participant = RequireMayChange(room, caller);
        var visible = room.Strokes.Where(s => s.Visible).ToList();
        if (visible.Count == 0) return null;
        var clearId = ++room.ClearCounter;
        foreach (var s in visible) s.AddClear(clearId);
        Push(room, participant, new ClearAction(clearId, [.. visible.Select(s => s.Id)]));
        var revision = Bump(room);
        room.RecordChange(new RoomChange(RoomChangeKind.Visibility));
        return new CanvasCleared(room.Id, revision, participant);
    }

    /// <summary>Sets the room's prompt; without a seed lock a new seed comes with it.</summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">A present participant.</param>
    /// <param name="prompt">At most <see cref="RoomOptions.MaxPromptLength"/> characters, no control characters except new lines and
    /// tabs and no bidirectional overrides; then at most <see cref="RoomOptions.MaxPromptTokens"/> tokens, alone and composed with the room's preset.</param>
    /// <exception cref="RoomException">Not joined, not allowed to change the room, or bad prompt.</exception>
    public PromptChanged SetPrompt(Room room, RoomCaller caller, string? prompt)
    {
        CheckPrompt(prompt);
        var participant = RequireMayChange(room, caller);
        CheckComposedPrompt(prompt, room.Settings.PresetId, "`prompt`");
        ApplyPrompt(room, prompt);
        var revision = Bump(room);
        room.RecordChange(new RoomChange(RoomChangeKind.Prompt));
        return new PromptChanged(room.Id, revision, prompt, room.Settings, participant);
    }

    /// <summary>Replaces the room's settings.</summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">A present participant.</param>
    /// <param name="settings">Within <see cref="RoomRules"/>; preset id null or 1–64 of <c>a–z 0–9 -</c>.</param>
    /// <exception cref="RoomException">Not joined, not allowed to change the room, bad settings, or a new preset that would take the room's prompt past
    /// <see cref="RoomOptions.MaxPromptTokens"/>.</exception>
    public SettingsChanged SetSettings(Room room, RoomCaller caller, FrameSettings? settings)
    {
        CheckSettings(settings);
        var participant = RequireMayChange(room, caller);
        // Only a change of preset changes the prompt the model sees; other settings never fail on an older prompt.
        if (settings.PresetId != room.Settings.PresetId)
            CheckComposedPrompt(room.Prompt, settings.PresetId, $"`settings.presetId` '{settings.PresetId}' makes the room's prompt");
        room.Settings = settings;
        var revision = Bump(room);
        room.RecordChange(new RoomChange(RoomChangeKind.Settings));
        return new SettingsChanged(room.Id, revision, settings, participant);
    }

    /// <summary>
    /// Applies a style preset in one change: its settings, then its subject as the prompt (a new seed with it, unless the seed
    /// is locked), at one revision. Both are checked before either is applied.
    /// </summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">A present participant.</param>
    /// <param name="settings">The settings the preset makes of the room's current ones.</param>
    /// <param name="prompt">The preset's subject, or null to keep the room's prompt.</param>
    /// <returns>The settings event and, when the prompt changed, the prompt event (same revision).</returns>
    /// <exception cref="RoomException">Not joined, not allowed to change the room, bad settings or prompt, or a prompt too long within the preset.</exception>
    public (SettingsChanged Settings, PromptChanged? Prompt) ApplyPreset(Room room, RoomCaller caller, FrameSettings? settings, string? prompt)
    {
        CheckSettings(settings);
        if (prompt is not null) CheckPrompt(prompt);
        var participant = RequireMayChange(room, caller);
        var newPrompt = prompt is not null && prompt != room.Prompt ? prompt : null;
        CheckComposedPrompt(newPrompt ?? room.Prompt, settings.PresetId,
            newPrompt is null ? $"`settings.presetId` '{settings.PresetId}' makes the room's prompt" : "`prompt`");
        room.Settings = settings;
        if (newPrompt is not null) ApplyPrompt(room, newPrompt);
        var revision = Bump(room);
        room.RecordChange(new RoomChange(RoomChangeKind.Settings));
        if (newPrompt is not null) room.RecordChange(new RoomChange(RoomChangeKind.Prompt));
        return (new SettingsChanged(room.Id, revision, settings, participant),
            newPrompt is null ? null : new PromptChanged(room.Id, revision, newPrompt, room.Settings, participant));
    }

    /// <summary>The caller's pointer moved; throttled to <see cref="RoomOptions.CursorInterval"/> per participant.</summary>
    /// <returns>The event for the others, or null when throttled.</returns>
    /// <exception cref="RoomException">Not joined or bad coordinates.</exception>
    public CursorMoved? Cursor(Room room, RoomCaller caller, float x, float y)
    {
        CheckCoordinate("x", x, _options.CanvasWidth);
        CheckCoordinate("y", y, _options.CanvasHeight);
        var participant = RequirePresent(room, caller);
        var now = _time.GetTimestamp();
        if (room.LastCursor.TryGetValue(participant, out var last) && _time.GetElapsedTime(last, now) < _options.CursorInterval)
            return null;
        room.LastCursor[participant] = now;
        return new CursorMoved(room.Id, participant, x, y);
    }

    /// <summary>What a joiner sees.</summary>
    /// <param name="room">The room.</param>
    /// <param name="participantId">The joiner, or empty when looking in without joining.</param>
    /// <remarks>A watcher's view names the room by its watch-only address and carries no other: the drawing invite is
    /// never shown to watchers. The host and drawers get the watch-only address to share.</remarks>
    public RoomView View(Room room, string participantId)
    {
        ArgumentNullException.ThrowIfNull(room);
        var access = Access(room);
        var watcher = access.RoleOf(participantId) == ParticipantRoles.Watcher;
        return new(watcher ? room.WatchId : room.Id, participantId, room.Revision, _options.CanvasWidth, _options.CanvasHeight,
            [.. room.Strokes.Where(s => s.Visible).Select(s => s.ToSnapshot())],
            [.. Present(room)],
            room.Prompt, room.Settings, room.LastFrame,
            participantId.Length > 0 && room.RejoinTokens.TryGetValue(participantId, out var token) ? token : "",
            room.PresenceVersion, access, watcher ? null : room.WatchId);
    }

    /// <summary>Host, lock and watchers as they stand (a copy).</summary>
    public static RoomAccess Access(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return new RoomAccess(room.HostId, room.Locked, room.Watchers.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>The host locks drawing (only the host changes the room; no newcomer is admitted) or unlocks it.</summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">The host.</param>
    /// <param name="locked">True to lock, false to unlock.</param>
    /// <returns>The event for everyone (also when the lock was already so).</returns>
    /// <exception cref="RoomException">Not joined, or not the host.</exception>
    public AccessChanged SetLocked(Room room, RoomCaller caller, bool locked)
    {
        var host = RequireHost(room, caller);
        if (room.Locked != locked)
        {
            room.Locked = locked;
            room.PresenceVersion++;
            room.RecordChange(new RoomChange(RoomChangeKind.Access));
        }
        return AccessEvent(room, host);
    }

    /// <summary>
    /// The host hands its role to another participant present by the drawing invite (not a watcher); the former host
    /// becomes a drawer.
    /// </summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">The host.</param>
    /// <param name="participantId">The new host.</param>
    /// <returns>The event for everyone.</returns>
    /// <exception cref="RoomException">Not joined, not the host, or the new host is not present, is a watcher or is the caller.</exception>
    public AccessChanged HandOverHost(Room room, RoomCaller caller, string? participantId)
    {
        var host = RequireHost(room, caller);
        var target = RequireOtherParticipant(room, host, participantId, "hand the host role to");
        if (target is not PresentParticipant)
            throw new RoomException(RoomErrorCodes.NotFound, $"Participant '{participantId}' is not in the room; hand the host role to someone present.");
        if (room.Watchers.Contains(target.Id))
            throw new RoomException(RoomErrorCodes.Forbidden,
                $"Participant '{participantId}' joined by the watch-only link; only a participant who joined by the drawing invite can be host.");
        room.HostId = target.Id;
        room.PresenceVersion++;
        room.RecordChange(new RoomChange(RoomChangeKind.Access));
        return AccessEvent(room, host);
    }

    /// <summary>
    /// The host removes a participant: it leaves the room, is told why, and can never rejoin as itself (its rejoin token
    /// stops working). Coming back as a newcomer needs an invite and an unlocked room: a locked room takes no newcomers.
    /// </summary>
    /// <param name="room">The room.</param>
    /// <param name="caller">The host.</param>
    /// <param name="participantId">The participant to remove (present, joining, or left within the rejoin window).</param>
    /// <returns>The removal (with the connection to tell) and the presence event for the others when it was in the room.</returns>
    /// <exception cref="RoomException">Not joined, not the host, or no such participant (or the caller itself).</exception>
    public (ParticipantRemoved Removed, PresenceChanged? Presence) RemoveParticipant(Room room, RoomCaller caller, string? participantId)
    {
        var host = RequireHost(room, caller);
        var target = RequireOtherParticipant(room, host, participantId, "remove");
        var session = target switch { PresentParticipant p => p.SessionId, JoiningParticipant j => j.SessionId, _ => null };
        room.RemovedIds.Add(target.Id);
        room.RejoinTokens.Remove(target.Id);
        room.RecordChange(new RoomChange(RoomChangeKind.Access));
        var removed = new ParticipantRemoved(room.Id, target.Id, session, host, RemovedNotice);
        return (removed, session is null ? null : Leave(room, target.Id, session));
    }

    private AccessChanged AccessEvent(Room room, string by) => new(room.Id, Access(room), [.. Present(room)], room.PresenceVersion, by);

    /// <summary>What the renderer draws: a copy of the visible strokes, prompt and settings at the room's revision.</summary>
    /// <param name="room">The room.</param>
    public RoomRenderState RenderState(Room room)
    {
        ArgumentNullException.ThrowIfNull(room);
        return new RoomRenderState(room.Id, room.Revision, _time.GetElapsedTime(room.RevisionTimestamp),
            [.. room.Strokes.Where(s => s.Visible && s.Points.Count > 0).Select(s => s.ToSnapshot())],
            room.Prompt, ComposePrompt(room.Prompt, room.Settings.PresetId), room.Settings, _options.CanvasWidth, _options.CanvasHeight);
    }

    /// <summary>Keeps a room's newest frame for joiners; a frame older than the one held is ignored.</summary>
    /// <returns>True when the frame was kept.</returns>
    public static bool SetLastFrame(Room room, FrameMessage frame)
    {
        ArgumentNullException.ThrowIfNull(room);
        ArgumentNullException.ThrowIfNull(frame);
        if (room.LastFrame is not null && frame.Revision < room.LastFrame.Revision) return false;
        room.LastFrame = frame;
        room.RecordChange(new RoomChange(RoomChangeKind.Frame));
        return true;
    }

    /// <summary>The prompt the model sees: the room's prompt in its preset's template.</summary>
    public string ComposePrompt(string prompt, string? presetId) => _gallery?.ComposePrompt(prompt, presetId) ?? prompt;

    private long Bump(Room room)
    {
        room.RevisionTimestamp = _time.GetTimestamp();
        return ++room.Revision;
    }

    private static void ApplyPrompt(Room room, string prompt)
    {
        room.Prompt = prompt;
        if (!room.Settings.SeedLocked) room.Settings = room.Settings with { Seed = RoomRules.NewSeed() };
    }

    /// <summary>
    /// Throws when a join with these arguments would be refused for want of a place (checked before the caller leaves the
    /// room it is in, so a refused join costs it nothing).
    /// </summary>
    /// <exception cref="RoomException">The room is full.</exception>
    public void CheckPlace(Room room, string? rejoinParticipantId = null, string? rejoinToken = null)
    {
        ArgumentNullException.ThrowIfNull(room);
        CheckAdmission(room, rejoinParticipantId, rejoinToken);
        if (FindRejoin(room, rejoinParticipantId, rejoinToken) is { HoldsPlace: true }) return;
        RequireFreePlace(room);
    }

    /// <summary>
    /// The connection an event need not be sent to: the sender drew its own strokes and moved its own pointer already;
    /// every other event goes to everyone, the sender too.
    /// </summary>
    /// <param name="roomEvent">The event a change made.</param>
    /// <param name="caller">Who made it.</param>
    /// <returns>The sender's session, or null.</returns>
    public static string? EchoExcept(RoomEvent roomEvent, RoomCaller caller) =>
        roomEvent is StrokeBegun or PointsAppended or StrokeEnded or CursorMoved ? caller.SessionId : null;

    /// <summary>Refuses one more place for a client address that already holds <paramref name="held"/> places in the room.</summary>
    /// <param name="held">Places the joiner's address holds in the room now (a rejoining participant's own place not counted).</param>
    /// <exception cref="RoomException">The address holds <see cref="RoomOptions.MaxParticipantsPerAddress"/> places already.</exception>
    public void CheckSeatsOfAddress(int held)
    {
        if (held >= _options.MaxParticipantsPerAddress)
            throw new RoomException(RoomErrorCodes.RoomFull,
                $"The room already has {held} participants from this address (`RoomOptions.MaxParticipantsPerAddress`).");
    }

    /// <summary>
    /// Refuses a removed participant's rejoin, and while the room is locked every newcomer (a rejoin of someone still
    /// known to the room is admitted).
    /// </summary>
    private static void CheckAdmission(Room room, string? rejoinParticipantId, string? rejoinToken)
    {
        if (rejoinParticipantId is not null && room.RemovedIds.Contains(rejoinParticipantId))
            throw new RoomException(RoomErrorCodes.Removed, RemovedNotice);
        if (room.Locked && FindRejoin(room, rejoinParticipantId, rejoinToken) is null)
            throw new RoomException(RoomErrorCodes.Locked, "The host has locked this room: it takes no newcomers until the host unlocks it.");
    }

    /// <summary>
    /// Drops the participants who left more than <see cref="RoomOptions.RejoinWindow"/> ago: their record, rejoin token,
    /// undo history and cursor (their strokes stay and keep their owner's id).
    /// </summary>
    private void DropDeparted(Room room)
    {
        var cutoff = _time.GetUtcNow() - _options.RejoinWindow;
        List<string>? gone = null;
        foreach (var p in room.Participants.Values)
            if (p is LeftParticipant l && l.LeftAt < cutoff) (gone ??= []).Add(l.Id);
        if (gone is null) return;
        foreach (var id in gone)
        {
            room.Participants.Remove(id);
            room.RejoinTokens.Remove(id);
            room.Histories.Remove(id);
            room.LastCursor.Remove(id);
            room.Watchers.Remove(id);
        }
        // A host gone for good hands the role to the longest-present drawer, or else to the next one to join by the
        // drawing invite (Admit), so a room is never left locked with nobody to unlock it.
        if (room.HostId is { } hostId && !room.Participants.ContainsKey(hostId))
        {
            room.HostId = Present(room).Where(p => !room.Watchers.Contains(p.Id)).OrderBy(p => ((PresentParticipant)p).JoinedAt).FirstOrDefault()?.Id;
            room.PresenceVersion++;
            room.RecordChange(new RoomChange(RoomChangeKind.Access));
        }
    }

    /// <summary>The earlier participant a rejoin names, when its token matches; else null.</summary>
    private static Participant? FindRejoin(Room room, string? participantId, string? token) =>
        participantId is not null && token is not null
        && room.RejoinTokens.TryGetValue(participantId, out var secret)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(token))
        && room.Participants.TryGetValue(participantId, out var earlier)
            ? earlier
            : null;

    /// <summary>
    /// <paramref name="name"/>, or with a suffix " (2)", " (3)" … when another participant holding a place is already called
    /// that, compared after Unicode compatibility normalisation (NFKC) and case folding, so that look-alikes such as
    /// full-width letters or another case do not pass for a second person of the same name.
    /// </summary>
    private static string UniqueName(Room room, string name, string? exceptId)
    {
        var taken = room.Participants.Values.Where(p => p.HoldsPlace && p.Id != exceptId).Select(p => NameKey(p.DisplayName)).ToHashSet(StringComparer.Ordinal);
        if (!taken.Contains(NameKey(name))) return name;
        for (var n = 2; ; n++)
        {
            var candidate = $"{name} ({n})";
            if (!taken.Contains(NameKey(candidate))) return candidate;
        }
    }

    private static string NameKey(string name) => name.Normalize(NormalizationForm.FormKC).ToUpperInvariant();

    private void RequireFreePlace(Room room)
    {
        if (room.Participants.Values.Count(p => p.HoldsPlace) >= _options.MaxParticipantsPerRoom)
            throw new RoomException(RoomErrorCodes.RoomFull, $"The room is full ({_options.MaxParticipantsPerRoom} participants, `RoomOptions.MaxParticipantsPerRoom`).");
    }

    private static void Push(Room room, string participant, RoomAction action)
    {
        var (droppedRedo, permanent) = room.Histories[participant].Push(action);
        DropUndone(room, droppedRedo);
        // A clear that became permanent: the strokes it still hides are gone for good.
        foreach (var clear in permanent.OfType<ClearAction>())
            Purge(room, clear.StrokeIds.Where(id => room.StrokesById.TryGetValue(id, out var s) && s.ClearedBy.Contains(clear.ClearId)));
    }

    /// <summary>Undone strokes that can no longer be redone are dropped, so they stop counting against the room's limit.</summary>
    private static void DropUndone(Room room, IReadOnlyList<RoomAction> droppedRedo) =>
        Purge(room, droppedRedo.OfType<DrawAction>().Select(d => d.StrokeId).Where(id => room.StrokesById.TryGetValue(id, out var s) && s.Undone).ToList());

    private static void Purge(Room room, IEnumerable<string> strokeIds)
    {
        var ids = strokeIds.ToHashSet(StringComparer.Ordinal);
        if (ids.Count == 0) return;
        room.Strokes.RemoveAll(s => ids.Contains(s.Id));
        foreach (var id in ids) room.StrokesById.Remove(id);
        room.RecordChange(new RoomChange(RoomChangeKind.StrokesPurged));
    }

    private StrokesVisibilityChanged? ChangeVisibility(Room room, string participant, IReadOnlyList<string> strokeIds, Action<Stroke> change)
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
        if (hidden.Count == 0 && shown.Count == 0) return null;
        var revision = Bump(room);
        room.RecordChange(new RoomChange(RoomChangeKind.Visibility));
        return new StrokesVisibilityChanged(room.Id, revision, participant, [.. hidden.Select(s => s.Id)], [.. shown.Select(s => s.ToSnapshot())],
            shown.Count > 0 ? [.. room.Strokes.Where(s => s.Visible).Select(s => s.Id)] : []);
    }

    private static PresenceChanged Presence(Room room, Participant changed) => new(room.Id, changed, [.. Present(room)], room.PresenceVersion, Access(room));

    private static IEnumerable<Participant> Present(Room room) => room.Participants.Values.OfType<PresentParticipant>();

    private static string RequirePresent(Room room, RoomCaller caller)
    {
        ArgumentNullException.ThrowIfNull(room);
        Debug.Assert(caller.RoomId == room.Id, "The caller acts on another room.");
        if (caller.ParticipantId is null || !room.Participants.TryGetValue(caller.ParticipantId, out var p) || !p.HoldsPlace)
            throw new RoomException(RoomErrorCodes.NotJoined, "Join a room first (`JoinRoom`).");
        return p.Id;
    }

    /// <summary>The caller's participant id when it may change the room now (<see cref="RoomAccess.MayChange"/>); else a clear refusal.</summary>
    private static string RequireMayChange(Room room, RoomCaller caller)
    {
        var participant = RequirePresent(room, caller);
        if (room.Watchers.Contains(participant))
            throw new RoomException(RoomErrorCodes.ReadOnly, "You joined by the watch-only link: watchers see the room but cannot change it.");
        if (room.Locked && participant != room.HostId)
            throw new RoomException(RoomErrorCodes.ReadOnly, "The host has locked drawing: only the host can change the room until it is unlocked.");
        return participant;
    }

    private static string RequireHost(Room room, RoomCaller caller)
    {
        var participant = RequirePresent(room, caller);
        if (participant != room.HostId)
            throw new RoomException(RoomErrorCodes.NotHost, "Only the room's host can lock it, remove participants or hand over the host role.");
        return participant;
    }

    private static Participant RequireOtherParticipant(Room room, string host, string? participantId, string action)
    {
        if (participantId is null || !room.Participants.TryGetValue(participantId, out var target) || room.RemovedIds.Contains(participantId))
            throw new RoomException(RoomErrorCodes.NotFound, $"There is no participant {Quote(participantId)} to {action} in this room.");
        if (target.Id == host)
            throw new RoomException(RoomErrorCodes.InvalidArgument, $"You cannot {action} yourself.");
        return target;
    }

    private static Stroke RequireOwnStroke(Room room, string participant, string strokeId)
    {
        if (!room.StrokesById.TryGetValue(strokeId, out var stroke))
            throw new RoomException(RoomErrorCodes.NotFound, $"Stroke '{strokeId}' does not exist in this room.");
        if (stroke.OwnerId != participant)
            throw new RoomException(RoomErrorCodes.Forbidden, $"Stroke '{strokeId}' belongs to another participant.");
        return stroke;
    }

    private static void CheckStrokeId([NotNull] string? strokeId)
    {
        if (strokeId is null || !StrokeIdPattern().IsMatch(strokeId))
            throw Invalid($"`strokeId` must be 1–64 characters of A–Z a–z 0–9 _ - but is {Quote(strokeId)}.");
    }

    private void CheckPoints([NotNull] IReadOnlyList<CanvasPoint>? points)
    {
        if (points is null || points.Count == 0) throw Invalid("`points` must hold at least one point.");
        if (points.Count > _options.MaxPointsPerAppend)
            throw new RoomException(RoomErrorCodes.Limit, $"`points` holds {points.Count} points; at most {_options.MaxPointsPerAppend} per call (`RoomOptions.MaxPointsPerAppend`).");
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            CheckCoordinate($"points[{i}].x", p.X, _options.CanvasWidth);
            CheckCoordinate($"points[{i}].y", p.Y, _options.CanvasHeight);
            if (!float.IsFinite(p.Pressure) || p.Pressure < 0 || p.Pressure > 1)
                throw Invalid($"`points[{i}].pressure` must be within [0, 1] but is {p.Pressure}.");
        }
    }

    private static void CheckCoordinate(string name, float value, int extent)
    {
        if (!float.IsFinite(value)) throw Invalid($"`{name}` must be finite but is {value}.");
        if (value < 0 || value > extent) throw Invalid($"`{name}` must be within [0, {extent}] canvas units but is {value}.");
    }

    private static void CheckSettings([NotNull] FrameSettings? settings)
    {
        var problem = RoomRules.CheckSettings(settings);
        if (problem is not null || settings is null) throw Invalid(problem ?? "`settings` must not be null.");
        if (settings.PresetId is not null && !PresetIdPattern().IsMatch(settings.PresetId))
            throw Invalid($"`settings.presetId` must be null or 1–64 characters of a–z 0–9 - but is {Quote(settings.PresetId)}.");
    }

    private void CheckPrompt([NotNull] string? prompt)
    {
        if (prompt is null) throw Invalid("`prompt` must be a string but is null.");
        if (prompt.Length > _options.MaxPromptLength)
            throw Invalid($"`prompt` has {prompt.Length} characters; at most {_options.MaxPromptLength} (`RoomOptions.MaxPromptLength`).");
        var bad = prompt.IndexOfAny(ForbiddenPromptCharacters);
        if (bad >= 0) throw Invalid($"`prompt` contains a control or bidirectional-override character (U+{(int)prompt[bad]:X4}) at index {bad}.");
        var tokens = _model?.CountPromptTokens(prompt);
        if (tokens > _options.MaxPromptTokens)
            throw Invalid($"`prompt` takes {tokens} tokens; at most {_options.MaxPromptTokens} (`RoomOptions.MaxPromptTokens`).");
    }

    /// <summary>The model sees the prompt inside the preset's template: that composition must fit the token limit too.</summary>
    private void CheckComposedPrompt(string prompt, string? presetId, string subject)
    {
        if (presetId is null || _gallery is null || _model is null) return;
        var composed = _gallery.ComposePrompt(prompt, presetId);
        if (string.Equals(composed, prompt, StringComparison.Ordinal)) return;
        if (_model.CountPromptTokens(composed) is { } tokens && tokens > _options.MaxPromptTokens)
        {
            var within = subject == "`prompt`" ? $"`prompt` takes {tokens} tokens within preset '{presetId}'" : $"{subject} take {tokens} tokens";
            throw Invalid($"{within}; at most {_options.MaxPromptTokens} (`RoomOptions.MaxPromptTokens`).");
        }
    }

    /// <summary>Bytes a point takes in a snapshot as the hub sends it (a MessagePack array of three float32).</summary>
    internal const int SnapshotBytesPerPoint = 16;

    /// <summary>Bytes a stroke takes in a snapshot besides its points (id, owner, colour, width, flags).</summary>
    internal const int SnapshotBytesPerStroke = 80;

    /// <summary>The room's snapshot size in bytes as the hub sends it, estimated from its strokes, points and prompt.</summary>
    internal static long SnapshotBytes(Room room, long strokes, long points) =>
        strokes * SnapshotBytesPerStroke + points * SnapshotBytesPerPoint + 4L * room.Prompt.Length + 1024;

    /// <summary>Refuses a change that would take the room past <see cref="RoomOptions.MaxPointsPerRoom"/> or
    /// <see cref="RoomOptions.MaxSnapshotBytes"/>; every stroke the room keeps counts (an undo can bring it back).</summary>
    private void CheckRoomSize(Room room, int addedStrokes, int addedPoints)
    {
        long points = addedPoints;
        foreach (var s in room.Strokes) points += s.Points.Count;
        if (points > _options.MaxPointsPerRoom)
            throw new RoomException(RoomErrorCodes.Limit,
                $"The room would hold {points} points; at most {_options.MaxPointsPerRoom} (`RoomOptions.MaxPointsPerRoom`); clear it to draw more.");
        long bytes = SnapshotBytes(room, room.Strokes.Count + addedStrokes, points);
        if (bytes > _options.MaxSnapshotBytes)
            throw new RoomException(RoomErrorCodes.Limit,
                $"The room's snapshot would take {bytes} bytes; at most {_options.MaxSnapshotBytes} (`RoomOptions.MaxSnapshotBytes`); clear it to draw more.");
    }

    private static RoomException Invalid(string message) => new(RoomErrorCodes.InvalidArgument, message);

    private static string Quote(string? value) => value is null ? "null" : value.Length > 80 ? $"'{value[..80]}…' ({value.Length} characters)" : $"'{value}'";

    [GeneratedRegex(@"^[A-Za-z0-9_-]{22}\z")]
    private static partial Regex RoomIdPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\z")]
    private static partial Regex StrokeIdPattern();

    [GeneratedRegex(@"^#[0-9a-fA-F]{6}\z")]
    private static partial Regex ColourPattern();

    [GeneratedRegex(@"^[a-z0-9-]{1,64}\z")]
    private static partial Regex PresetIdPattern();

    [GeneratedRegex(@"^[\p{L}\p{M}\p{N} _.'-]+\z")]
    private static partial Regex DisplayNamePattern();
}
