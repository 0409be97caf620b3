using System.ComponentModel.DataAnnotations;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Rooms;

/// <summary>Room limits and defaults, bound from the <c>RoomOptions</c> configuration section and validated at start.</summary>
/// <remarks>Every limit is answered by an <c>Error</c> to the caller only; nothing here is enforced silently.</remarks>
public sealed class RoomOptions
{
    /// <summary>Canvas width in canvas units (the x range of points).</summary>
    /// <remarks>Defaults to <c>1024</c>.</remarks>
    [Range(16, 8192)]
    public int CanvasWidth { get; set; } = 1024;

    /// <summary>Canvas height in canvas units (the y range of points).</summary>
    /// <remarks>Defaults to <c>1024</c>.</remarks>
    [Range(16, 8192)]
    public int CanvasHeight { get; set; } = 1024;

    /// <summary>Most points in one <c>AppendPoints</c> call.</summary>
    /// <remarks>Defaults to <c>512</c>.</remarks>
    [Range(1, 100_000)]
    public int MaxPointsPerAppend { get; set; } = 512;

    /// <summary>Most points in one stroke.</summary>
    /// <remarks>Defaults to <c>20000</c>.</remarks>
    [Range(1, 1_000_000)]
    public int MaxPointsPerStroke { get; set; } = 20_000;

    /// <summary>Most strokes a room keeps (visible ones and those an undo or redo can still bring back).</summary>
    /// <remarks>Defaults to <c>5000</c>.</remarks>
    [Range(1, 1_000_000)]
    public int MaxStrokesPerRoom { get; set; } = 5_000;

    /// <summary>Most points a room keeps over all its strokes (visible ones and those an undo or redo can bring back).</summary>
    /// <remarks>Defaults to <c>200000</c> (≈ 3 MB of points in a joiner's snapshot).</remarks>
    [Range(1, 50_000_000)]
    public int MaxPointsPerRoom { get; set; } = 200_000;

    /// <summary>
    /// Largest snapshot a joiner receives, in bytes as the hub sends it (MessagePack: ≈ 16 bytes a point, ≈ 80 a stroke);
    /// a change that would make the room's snapshot larger is refused.
    /// </summary>
    /// <remarks>Defaults to <c>4194304</c> (4 MiB).</remarks>
    [Range(1024, 1_073_741_824)]
    public long MaxSnapshotBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Thinnest stroke in canvas units.</summary>
    /// <remarks>Defaults to <c>0.5</c>.</remarks>
    [Range(0.01, 1000)]
    public float MinStrokeWidth { get; set; } = 0.5f;

    /// <summary>Widest stroke in canvas units.</summary>
    /// <remarks>Defaults to <c>128</c>.</remarks>
    [Range(0.01, 10_000)]
    public float MaxStrokeWidth { get; set; } = 128f;

    /// <summary>Longest prompt in characters.</summary>
    /// <remarks>Defaults to <c>1000</c>.</remarks>
    [Range(1, 100_000)]
    public int MaxPromptLength { get; set; } = 1_000;

    /// <summary>
    /// Most tokens of the prompt in the model's own tokenizer, after its preparation (lower-case, strip) and without the
    /// instruction and BOS; checked after <see cref="MaxPromptLength"/>, for the prompt alone and composed with the room's
    /// preset. Applies once the model has loaded (before that the generator cannot count, and only characters are checked).
    /// </summary>
    /// <remarks>
    /// Defaults to <c>298</c>: SANA-Sprint's <c>max_sequence_length</c> of 300 less the two positions the prompt encoder
    /// keeps for BOS and the instruction's last token, so a prompt within the limit reaches the model whole (a longer one
    /// would be cut from the end).
    /// </remarks>
    [Range(1, 100_000)]
    public int MaxPromptTokens { get; set; } = 298;

    /// <summary>Longest display name in characters (letters, digits, spaces and <c>_ . ' -</c>).</summary>
    /// <remarks>Defaults to <c>32</c>.</remarks>
    [Range(1, 256)]
    public int MaxDisplayNameLength { get; set; } = 32;

    /// <summary>
    /// Most rooms in use one server holds: a room is in use while someone is in it or while it keeps strokes. Empty rooms
    /// (nobody present, nothing drawn) do not count; they are dropped after <see cref="EmptyRoomIdleTime"/>.
    /// </summary>
    /// <remarks>Defaults to <c>1000</c>.</remarks>
    [Range(1, 1_000_000)]
    public int MaxRooms { get; set; } = 1_000;

    /// <summary>
    /// How long a room may stay empty (nobody present or joining, no strokes) before it is removed from memory and from
    /// the database; counted from its creation, its restore at start, or its last participant leaving.
    /// </summary>
    /// <remarks>Defaults to 5 minutes.</remarks>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan EmptyRoomIdleTime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Most rooms one client address may create per <see cref="RoomCreationWindow"/> (the lobby's form and the hub's
    /// <c>CreateRoom</c> share the budget); IPv6 clients are counted per /64 network. Behind a reverse proxy the address is
    /// the proxy's unless forwarded headers are configured.
    /// </summary>
    /// <remarks>Defaults to <c>10</c>.</remarks>
    [Range(1, 100_000)]
    public int RoomCreationsPerAddress { get; set; } = 10;

    /// <summary>The window of <see cref="RoomCreationsPerAddress"/>.</summary>
    /// <remarks>Defaults to 1 minute.</remarks>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RoomCreationWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most participants present (or joining) in one room; the next gets "room full".</summary>
    /// <remarks>Defaults to <c>16</c>.</remarks>
    [Range(1, 10_000)]
    public int MaxParticipantsPerRoom { get; set; } = 16;

    /// <summary>
    /// How long a participant who left can come back as itself (the rejoin of a reconnect or a page reload); after it the
    /// participant's record, rejoin token and undo history are dropped, so records do not pile up with join/leave churn.
    /// </summary>
    /// <remarks>Defaults to 10 minutes.</remarks>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RejoinWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most places in one room held from one client address, so that one client cannot take every seat.</summary>
    /// <remarks>Defaults to <c>4</c>.</remarks>
    [Range(1, 10_000)]
    public int MaxParticipantsPerAddress { get; set; } = 4;

    /// <summary>Most undoable actions kept per participant; older ones become permanent.</summary>
    /// <remarks>Defaults to <c>200</c>.</remarks>
    [Range(1, 100_000)]
    public int MaxUndoDepth { get; set; } = 200;

    /// <summary>Shortest interval between two relayed cursor updates of one participant; faster ones are dropped.</summary>
    /// <remarks>Defaults to 30 ms (about 33 Hz).</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan CursorInterval { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>Prompt of a new room.</summary>
    /// <remarks>Defaults to a watercolour landscape.</remarks>
    [Required(AllowEmptyStrings = true)]
    public string DefaultPrompt { get; set; } = "a red house under a yellow sun on green grass, watercolour";

    /// <summary>sCM steps of a new room's live frames.</summary>
    /// <remarks>Defaults to <c>2</c>.</remarks>
    [Range(1, 4)]
    public int DefaultSteps { get; set; } = 2;

    /// <summary>Guidance mode of a new room (the scheduler falls back to a mode the model supports).</summary>
    /// <remarks>Defaults to <see cref="GuidanceMode.ControlNet"/>.</remarks>
    [EnumDataType(typeof(GuidanceMode))]
    public GuidanceMode DefaultMode { get; set; } = GuidanceMode.ControlNet;

    /// <summary>img2img strength of a new room.</summary>
    /// <remarks>Defaults to <c>0.6</c>.</remarks>
    [Range(0.0, 1.0)]
    public float DefaultStrength { get; set; } = 0.6f;

    /// <summary>ControlNet conditioning scale of a new room.</summary>
    /// <remarks>Defaults to <c>1.0</c>.</remarks>
    [Range(0.0, 2.0)]
    public float DefaultControlScale { get; set; } = 1.0f;
}
