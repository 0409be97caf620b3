namespace SanaSprint.Web.Persistence;

/// <summary>A stored room: prompt, settings, clocks and the participants its strokes name.</summary>
public sealed class RoomEntity
{
    /// <summary>The room id (22 URL-safe characters).</summary>
    public required string Id { get; set; }

    /// <summary>Current prompt.</summary>
    public string Prompt { get; set; } = "";

    /// <summary>The <c>FrameSettings</c> as JSON.</summary>
    public string SettingsJson { get; set; } = "{}";

    /// <summary>The room revision at the last write.</summary>
    public long Revision { get; set; }

    /// <summary>Participant id counter, so ids are never reused after a restart.</summary>
    public int ParticipantCounter { get; set; }

    /// <summary>Participants ever admitted (<c>[{id, displayName, colour}]</c>), so restored strokes still name their owner.</summary>
    public string ParticipantsJson { get; set; } = "[]";

    /// <summary>Unix milliseconds of the last write (room retention).</summary>
    public long UpdatedAtMs { get; set; }

    /// <summary>
    /// Who may do what, as JSON (<c>StoredAccess</c>: watch-only address, host, lock, watchers, removed participants, rejoin
    /// tokens); null in rows written before rooms had hosts, which get a new watch-only address and no host when restored.
    /// </summary>
    public string? AccessJson { get; set; }
}

/// <summary>A stored stroke; points are packed little-endian float triples <c>x, y, pressure</c>.</summary>
public sealed class StrokeEntity
{
    /// <summary>The room.</summary>
    public required string RoomId { get; set; }

    /// <summary>The client-chosen stroke id (unique in its room).</summary>
    public required string Id { get; set; }

    /// <summary>Z-order: strokes are restored by ascending sequence.</summary>
    public long Seq { get; set; }

    /// <summary>The participant who drew it.</summary>
    public string OwnerId { get; set; } = "";

    /// <summary>"#rrggbb".</summary>
    public string Colour { get; set; } = "#000000";

    /// <summary>Width in canvas units.</summary>
    public float Width { get; set; }

    /// <summary>Points, 12 bytes each.</summary>
    public byte[] Points { get; set; } = [];

    /// <summary>True once ended.</summary>
    public bool Ended { get; set; }

    /// <summary>False while undone or cleared; hidden strokes are dropped at the next start (no history survives a restart).</summary>
    public bool Visible { get; set; } = true;
}

/// <summary>A room's newest frame, so a joiner after a restart sees the last picture at once.</summary>
public sealed class RoomFrameEntity
{
    /// <summary>The room (one frame per room).</summary>
    public required string RoomId { get; set; }

    /// <summary>The room revision the frame was rendered from.</summary>
    public long Revision { get; set; }

    /// <summary>The <c>FrameMessage</c> without its image, as JSON.</summary>
    public string Json { get; set; } = "{}";

    /// <summary>The encoded image (JPEG or WebP, as sent), at most <see cref="PersistenceOptions.MaxImageBytes"/>.</summary>
    public byte[] Image { get; set; } = [];
}

/// <summary>A saved user preset (the <c>StylePreset</c> as JSON).</summary>
public sealed class PresetEntity
{
    /// <summary>The preset id.</summary>
    public required string Id { get; set; }

    /// <summary>Unix milliseconds when saved (newest first).</summary>
    public long CreatedAtMs { get; set; }

    /// <summary>The preset as JSON.</summary>
    public string Json { get; set; } = "{}";
}

/// <summary>A kept frame: its metadata as JSON and the image bytes.</summary>
public sealed class KeptResultEntity
{
    /// <summary>The result id.</summary>
    public required string Id { get; set; }

    /// <summary>Unix milliseconds when kept (newest first).</summary>
    public long KeptAtMs { get; set; }

    /// <summary>The <c>KeptResult</c> without its image, as JSON.</summary>
    public string Json { get; set; } = "{}";

    /// <summary>The encoded image.</summary>
    public byte[] Image { get; set; } = [];

    /// <summary>The owner id of the browser that kept it ("" for frames kept before frames had owners: nobody's).</summary>
    public string OwnerId { get; set; } = "";

    /// <summary>The room it came from (its members see it).</summary>
    public string RoomId { get; set; } = "";
}

/// <summary>A browser (owner id) that joined a room, so it sees the room's kept frames.</summary>
public sealed class RoomMemberEntity
{
    /// <summary>The room.</summary>
    public required string RoomId { get; set; }

    /// <summary>The browser's owner id.</summary>
    public required string OwnerId { get; set; }

    /// <summary>Unix milliseconds of its latest join (memberships older than <c>Persistence:RoomRetention</c> are dropped).</summary>
    public long JoinedAtMs { get; set; }
}
