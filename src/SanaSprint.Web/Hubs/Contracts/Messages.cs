using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Hubs;

// The payloads of the sketch hub: one file, read together with ISketchClient (server → client) and SketchHub
// (client → server). Wire rules, the same for the MessagePack and the JSON protocol:
// - Keys are the camelCase names given in [Key]; enums travel as their names ("ControlNet").
// - A point is a 3-element array [x, y, pressure]: x, y in canvas units (0 ≤ x ≤ canvasWidth, 0 ≤ y ≤ canvasHeight,
//   see RoomSnapshot), pressure in [0, 1] (0.5 = nominal, what a mouse reports). Drawn width = width × 2 × max(pressure, 0.05).
// - Colours are "#rrggbb". The eraser is a stroke in the canvas background colour "#ffffff".
// - Every state change carries the room revision it produced. Revisions only grow; a client drops stroke events whose
//   revision is ≤ the snapshot's revision (they are already in it) and frames older than the newest frame it shows.
// - Frame images are bytes: binary with MessagePack, base64 only under the JSON protocol.

/// <summary>A point of a stroke: canvas units and pen pressure; travels as <c>[x, y, pressure]</c>.</summary>
/// <param name="X">Horizontal position in canvas units.</param>
/// <param name="Y">Vertical position in canvas units.</param>
/// <param name="Pressure">Pen pressure in [0, 1]; 0.5 is nominal (mouse).</param>
[MessagePackObject]
[JsonConverter(typeof(StrokePointJsonConverter))]
[MessagePackFormatter(typeof(StrokePointMessagePackFormatter))]
public readonly record struct StrokePoint([property: Key(0)] float X, [property: Key(1)] float Y, [property: Key(2)] float Pressure);

/// <summary>Settings that shape a room's frames; set together by <c>SetSettings</c>.</summary>
/// <param name="Steps">sCM steps of a live frame, 1–4.</param>
/// <param name="Seed">Noise seed (non-negative).</param>
/// <param name="SeedLocked">When false, a prompt change picks a new random seed; when true the seed stays.</param>
/// <param name="Mode">How the sketch guides the frame; must be one of the model's <see cref="ModelInfo.SupportedModes"/>.</param>
/// <param name="Strength">img2img strength in [0, 1] (<see cref="GuidanceMode.Img2Img"/>).</param>
/// <param name="ControlScale">ControlNet conditioning scale in [0, 2] (<see cref="GuidanceMode.ControlNet"/>).</param>
/// <param name="PresetId">The style preset applied last, or null.</param>
[MessagePackObject]
public sealed record RoomSettings(
    [property: Key("steps")] int Steps,
    [property: Key("seed")] long Seed,
    [property: Key("seedLocked")] bool SeedLocked,
    [property: Key("mode")] GuidanceMode Mode,
    [property: Key("strength")] float Strength,
    [property: Key("controlScale")] float ControlScale,
    [property: Key("presetId")] string? PresetId);

/// <summary>A member of a room as everyone sees it.</summary>
/// <param name="Id">Server-assigned participant id (unique in the room).</param>
/// <param name="DisplayName">Name shown to others.</param>
/// <param name="Colour">Presence colour "#rrggbb" (cursor, list).</param>
/// <param name="State">"Joining", "Present" or "Left".</param>
/// <param name="Role">"host", "drawer" or "watcher" (see <c>ParticipantRoles</c>).</param>
[MessagePackObject]
public sealed record ParticipantInfo(
    [property: Key("id")] string Id,
    [property: Key("displayName")] string DisplayName,
    [property: Key("colour")] string Colour,
    [property: Key("state")] string State,
    [property: Key("role")] string Role = "drawer");

/// <summary>A whole stroke (snapshot, redo, undone clear).</summary>
/// <param name="Id">Client-chosen stroke id.</param>
/// <param name="OwnerId">Participant who drew it.</param>
/// <param name="Colour">"#rrggbb".</param>
/// <param name="Width">Nominal width in canvas units.</param>
/// <param name="Points">Points in drawing order.</param>
/// <param name="Ended">True once its owner sent <c>EndStroke</c>.</param>
[MessagePackObject]
public sealed record StrokeData(
    [property: Key("id")] string Id,
    [property: Key("ownerId")] string OwnerId,
    [property: Key("colour")] string Colour,
    [property: Key("width")] float Width,
    [property: Key("points")] IReadOnlyList<StrokePoint> Points,
    [property: Key("ended")] bool Ended);

/// <summary>The model behind the frames, for the demo banner and the "frames unavailable" notice.</summary>
/// <param name="ModelName">Display name, e.g. "SANA-Sprint 0.6B" or "demo".</param>
/// <param name="IsDemo">True when the embedded demo checkpoint is in use.</param>
/// <param name="DemoNotice">Banner sentence when <paramref name="IsDemo"/>.</param>
/// <param name="IsAvailable">False when no frames can be produced.</param>
/// <param name="UnavailableReason">Why, when not available.</param>
/// <param name="SupportedModes">Guidance modes the model supports.</param>
/// <param name="Provider">"CPU" or "CUDA".</param>
/// <param name="ProviderNote">Why the provider is not the one configured (e.g. CUDA unavailable, running on CPU), or null.</param>
[MessagePackObject]
public sealed record ModelInfo(
    [property: Key("modelName")] string ModelName,
    [property: Key("isDemo")] bool IsDemo,
    [property: Key("demoNotice")] string? DemoNotice,
    [property: Key("isAvailable")] bool IsAvailable,
    [property: Key("unavailableReason")] string? UnavailableReason,
    [property: Key("supportedModes")] IReadOnlyList<GuidanceMode> SupportedModes,
    [property: Key("provider")] string Provider,
    [property: Key("providerNote")] string? ProviderNote = null);

/// <summary>Everything a joiner needs to show exactly what the others see; the reply to <c>JoinRoom</c>.</summary>
/// <param name="RoomId">The room.</param>
/// <param name="ParticipantId">The caller's own participant id (its strokes carry it as owner).</param>
/// <param name="Revision">The room revision this snapshot reflects.</param>
/// <param name="CanvasWidth">Canvas width in canvas units (x range).</param>
/// <param name="CanvasHeight">Canvas height in canvas units (y range).</param>
/// <param name="Strokes">Visible strokes, bottom to top.</param>
/// <param name="Participants">Present participants, the caller included.</param>
/// <param name="Prompt">Current prompt.</param>
/// <param name="Settings">Current settings.</param>
/// <param name="LastFrame">The newest frame, or null before the first.</param>
/// <param name="Model">The model behind the frames.</param>
/// <param name="RejoinToken">Secret of the caller's participant: after a reconnect, <c>RejoinRoom(roomId, displayName, participantId,
/// rejoinToken)</c> makes the new connection the same participant again (same id and colour, its strokes still undoable).
/// Empty for a view without a participant.</param>
/// <param name="PresenceVersion">The room's count of presence changes that <paramref name="Participants"/> reflects; of
/// this list and a <see cref="PresenceMessage"/>'s, the one with the higher count is the newer.</param>
/// <param name="Role">The caller's role: "host", "drawer" or "watcher".</param>
/// <param name="Locked">True while the host has locked drawing (only the host changes the room).</param>
/// <param name="HostId">The host's participant id, or null while the room has none.</param>
/// <param name="WatchId">The room's watch-only address (<c>/room/{watchId}</c>) for the host and drawers to share; null for
/// watchers, whose <paramref name="RoomId"/> is that address (a watcher never learns the drawing invite).</param>
[MessagePackObject]
public sealed record RoomSnapshot(
    [property: Key("roomId")] string RoomId,
    [property: Key("participantId")] string ParticipantId,
    [property: Key("revision")] long Revision,
    [property: Key("canvasWidth")] int CanvasWidth,
    [property: Key("canvasHeight")] int CanvasHeight,
    [property: Key("strokes")] IReadOnlyList<StrokeData> Strokes,
    [property: Key("participants")] IReadOnlyList<ParticipantInfo> Participants,
    [property: Key("prompt")] string Prompt,
    [property: Key("settings")] RoomSettings Settings,
    [property: Key("lastFrame")] FrameMessage? LastFrame,
    [property: Key("model")] ModelInfo Model,
    [property: Key("rejoinToken")] string RejoinToken = "",
    [property: Key("presenceVersion")] long PresenceVersion = 0,
    [property: Key("role")] string Role = "drawer",
    [property: Key("locked")] bool Locked = false,
    [property: Key("hostId")] string? HostId = null,
    [property: Key("watchId")] string? WatchId = null);

/// <summary>Another participant started a stroke (sent to the others in the room).</summary>
[MessagePackObject]
public sealed record StrokeBegunMessage(
    [property: Key("strokeId")] string StrokeId,
    [property: Key("ownerId")] string OwnerId,
    [property: Key("colour")] string Colour,
    [property: Key("width")] float Width,
    [property: Key("revision")] long Revision);

/// <summary>New points of a stroke in progress (sent to the others in the room).</summary>
[MessagePackObject]
public sealed record PointsAppendedMessage(
    [property: Key("strokeId")] string StrokeId,
    [property: Key("points")] IReadOnlyList<StrokePoint> Points,
    [property: Key("revision")] long Revision);

/// <summary>A stroke is complete (sent to the others in the room).</summary>
[MessagePackObject]
public sealed record StrokeEndedMessage(
    [property: Key("strokeId")] string StrokeId,
    [property: Key("revision")] long Revision);

/// <summary>Strokes disappeared by an undo (sent to everyone in the room, the caller included).</summary>
/// <param name="StrokeIds">The strokes to hide.</param>
/// <param name="ByParticipantId">Who undid.</param>
/// <param name="Revision">The new revision.</param>
[MessagePackObject]
public sealed record StrokesRemovedMessage(
    [property: Key("strokeIds")] IReadOnlyList<string> StrokeIds,
    [property: Key("byParticipantId")] string ByParticipantId,
    [property: Key("revision")] long Revision);

/// <summary>Strokes came back by a redo or an undone clear (sent to everyone in the room, the caller included).</summary>
/// <param name="Strokes">The strokes to show again.</param>
/// <param name="Order">The ids of all visible strokes, bottom to top, after the change (restores z-order).</param>
/// <param name="ByParticipantId">Who redid.</param>
/// <param name="Revision">The new revision.</param>
[MessagePackObject]
public sealed record StrokesRestoredMessage(
    [property: Key("strokes")] IReadOnlyList<StrokeData> Strokes,
    [property: Key("order")] IReadOnlyList<string> Order,
    [property: Key("byParticipantId")] string ByParticipantId,
    [property: Key("revision")] long Revision);

/// <summary>The canvas was cleared (undoable by the one who cleared; sent to everyone in the room).</summary>
[MessagePackObject]
public sealed record ClearedMessage(
    [property: Key("byParticipantId")] string ByParticipantId,
    [property: Key("revision")] long Revision);

/// <summary>Someone joined or left; carries the full list of present participants.</summary>
/// <param name="Participant">The one who changed.</param>
/// <param name="Participants">All present participants after the change.</param>
/// <param name="PresenceVersion">The room's count of presence changes, this one included (see
/// <see cref="RoomSnapshot.PresenceVersion"/>).</param>
[MessagePackObject]
public sealed record PresenceMessage(
    [property: Key("participant")] ParticipantInfo Participant,
    [property: Key("participants")] IReadOnlyList<ParticipantInfo> Participants,
    [property: Key("presenceVersion")] long PresenceVersion = 0);

/// <summary>The host locked or unlocked drawing, or handed the host role on (sent to everyone in the room).</summary>
/// <param name="HostId">The host's participant id, or null while the room has none.</param>
/// <param name="Locked">True while only the host may change the room.</param>
/// <param name="Participants">All present participants with their roles after the change.</param>
/// <param name="PresenceVersion">The room's count of presence changes, this one included (see <see cref="RoomSnapshot.PresenceVersion"/>).</param>
/// <param name="ByParticipantId">Who changed it (empty when the room did: a host gone for good replaced).</param>
[MessagePackObject]
public sealed record AccessMessage(
    [property: Key("hostId")] string? HostId,
    [property: Key("locked")] bool Locked,
    [property: Key("participants")] IReadOnlyList<ParticipantInfo> Participants,
    [property: Key("presenceVersion")] long PresenceVersion,
    [property: Key("byParticipantId")] string ByParticipantId);

/// <summary>The host removed the receiver from the room (sent to the removed connection only, which is then out of the room).</summary>
/// <param name="ParticipantId">The removed participant.</param>
/// <param name="ByParticipantId">The host.</param>
/// <param name="Message">A sentence for the removed person.</param>
[MessagePackObject]
public sealed record RemovedMessage(
    [property: Key("participantId")] string ParticipantId,
    [property: Key("byParticipantId")] string ByParticipantId,
    [property: Key("message")] string Message);

/// <summary>Another participant's pointer (best effort, throttled; sent to the others).</summary>
[MessagePackObject]
public sealed record CursorMessage(
    [property: Key("participantId")] string ParticipantId,
    [property: Key("x")] float X,
    [property: Key("y")] float Y);

/// <summary>New settings (sent to everyone in the room).</summary>
[MessagePackObject]
public sealed record SettingsChangedMessage(
    [property: Key("settings")] RoomSettings Settings,
    [property: Key("byParticipantId")] string ByParticipantId,
    [property: Key("revision")] long Revision);

/// <summary>New prompt (sent to everyone in the room); the seed may have changed with it.</summary>
[MessagePackObject]
public sealed record PromptChangedMessage(
    [property: Key("prompt")] string Prompt,
    [property: Key("settings")] RoomSettings Settings,
    [property: Key("byParticipantId")] string ByParticipantId,
    [property: Key("revision")] long Revision);

/// <summary>Where a frame's time went, in milliseconds.</summary>
/// <param name="QueueMs">From the revision's change until the model run started (waiting + rasterising).</param>
/// <param name="RasterMs">Rasterising the sketch.</param>
/// <param name="TextMs">Prompt encoding (0 on a cache hit).</param>
/// <param name="ControlEncodeMs">Sketch preprocessing + DC-AE encode.</param>
/// <param name="StepsMs">Each sCM step.</param>
/// <param name="DecodeMs">DC-AE decode.</param>
/// <param name="ModelMs">The whole model run for this request.</param>
/// <param name="EncodeMs">Image encoding (JPEG/WebP).</param>
/// <param name="ServerMs">From the revision's change until the frame was sent (server side of stroke-to-frame).</param>
/// <param name="BatchSize">How many rooms shared the model run.</param>
/// <param name="WaitMs">Part of <paramref name="QueueMs"/> during which the model was busy with other runs (an older
/// revision's run in flight, a pre-empted run winding down, other rooms' runs).</param>
[MessagePackObject, GenerateSerializer, Immutable]
public sealed record FrameTimings(
    [property: Key("queueMs")] double QueueMs,
    [property: Key("rasterMs")] double RasterMs,
    [property: Key("textMs")] double TextMs,
    [property: Key("controlEncodeMs")] double ControlEncodeMs,
    [property: Key("stepsMs")] IReadOnlyList<double> StepsMs,
    [property: Key("decodeMs")] double DecodeMs,
    [property: Key("modelMs")] double ModelMs,
    [property: Key("encodeMs")] double EncodeMs,
    [property: Key("serverMs")] double ServerMs,
    [property: Key("batchSize")] int BatchSize,
    [property: Key("waitMs")] double WaitMs = 0);

/// <summary>A rendered frame (sent to everyone in the room).</summary>
/// <param name="Revision">The room revision it was rendered from.</param>
/// <param name="Image">Encoded image bytes.</param>
/// <param name="ContentType">"image/jpeg" or "image/webp".</param>
/// <param name="Width">Pixels.</param>
/// <param name="Height">Pixels.</param>
/// <param name="Steps">sCM steps used.</param>
/// <param name="Seed">Seed used.</param>
/// <param name="Prompt">Prompt used.</param>
/// <param name="ModelName">Model used.</param>
/// <param name="IsRefinement">True for the extra frame at more steps after the room went quiet.</param>
/// <param name="Timings">Where the time went.</param>
/// <param name="Decoder">Which autoencoder made the pixels: <c>"preview"</c> (the tiny autoencoder of live frames, when
/// <c>Inference:PreviewDecoderPath</c> is set) or <c>"full"</c> (the checkpoint's DC-AE).</param>
[MessagePackObject, GenerateSerializer, Immutable]
public sealed record FrameMessage(
    [property: Key("revision")] long Revision,
    [property: Key("image")] byte[] Image,
    [property: Key("contentType")] string ContentType,
    [property: Key("width")] int Width,
    [property: Key("height")] int Height,
    [property: Key("steps")] int Steps,
    [property: Key("seed")] long Seed,
    [property: Key("prompt")] string Prompt,
    [property: Key("modelName")] string ModelName,
    [property: Key("isRefinement")] bool IsRefinement,
    [property: Key("timings")] FrameTimings Timings,
    [property: Key("decoder")] string Decoder = "full");

/// <summary>A frame could not be produced for this room (sent to everyone in the room).</summary>
/// <param name="Revision">The revision that failed.</param>
/// <param name="Message">A sentence for the UI, e.g. "frames unavailable: …".</param>
/// <param name="Unavailable">True when the model itself is unavailable (no frames until it is fixed), false for a failed run.</param>
[MessagePackObject, GenerateSerializer, Immutable]
public sealed record FrameFailedMessage(
    [property: Key("revision")] long Revision,
    [property: Key("message")] string Message,
    [property: Key("unavailable")] bool Unavailable);

/// <summary>A rejected call, sent to the caller only.</summary>
/// <param name="Method">The hub method that was called, e.g. "AppendPoints".</param>
/// <param name="Code">Stable machine-readable reason, e.g. "invalid-argument", "not-found", "room-full", "not-joined", "limit".</param>
/// <param name="Message">A sentence naming the argument and the rule, e.g. "`points[3].x` must be finite but is NaN.".</param>
[MessagePackObject]
public sealed record ErrorMessage(
    [property: Key("method")] string Method,
    [property: Key("code")] string Code,
    [property: Key("message")] string Message);

/// <summary>Writes and reads a <see cref="StrokePoint"/> as <c>[x, y, pressure]</c> under the JSON protocol.</summary>
public sealed class StrokePointJsonConverter : JsonConverter<StrokePoint>
{
    /// <inheritdoc />
    public override StrokePoint Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("a point must be an array [x, y, pressure].");
        Span<float> values = stackalloc float[3];
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (count == 3) throw new JsonException("a point must have exactly 3 numbers [x, y, pressure].");
            values[count++] = reader.GetSingle();
        }
        if (count != 3) throw new JsonException("a point must have exactly 3 numbers [x, y, pressure].");
        return new StrokePoint(values[0], values[1], values[2]);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, StrokePoint value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.X);
        writer.WriteNumberValue(value.Y);
        writer.WriteNumberValue(value.Pressure);
        writer.WriteEndArray();
    }
}
