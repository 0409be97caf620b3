using System.Text.Json;
using System.Text.Json.Serialization;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Persistence;

/// <summary>
/// The JSON the database holds in its text columns: storage's own records, so a change to the hub's wire contracts never
/// changes what is on disk (and the reverse). Property names are camelCase, enums by name; rows written by earlier
/// versions, which stored the wire records under the same names, read back unchanged.
/// </summary>
public static class StoredJson
{
    /// <summary>camelCase names, enums as names.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Serialises a stored record.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="value">The record.</param>
    /// <returns>Its JSON.</returns>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Reads a stored record.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="json">Its JSON.</param>
    /// <returns>The record.</returns>
    /// <exception cref="JsonException">The JSON is not such a record (or is <c>null</c>).</exception>
    public static T Deserialize<T>(string json) where T : class =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"the stored {typeof(T).Name} is null");
}

/// <summary>A room's settings as stored in <see cref="RoomEntity.SettingsJson"/>.</summary>
/// <param name="Steps">sCM steps of a live frame.</param>
/// <param name="Seed">Noise seed.</param>
/// <param name="SeedLocked">Whether a prompt change keeps the seed.</param>
/// <param name="Mode">How the sketch guides the frame.</param>
/// <param name="Strength">img2img strength.</param>
/// <param name="ControlScale">ControlNet conditioning scale.</param>
/// <param name="PresetId">The style preset applied last, or null.</param>
public sealed record StoredSettings(int Steps, long Seed, bool SeedLocked, GuidanceMode Mode, float Strength, float ControlScale, string? PresetId)
{
    /// <summary>The stored form of room settings.</summary>
    /// <param name="settings">The settings.</param>
    /// <returns>The record to store.</returns>
    public static StoredSettings From(FrameSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new(settings.Steps, settings.Seed, settings.SeedLocked, settings.Mode, settings.Strength, settings.ControlScale, settings.PresetId);
    }

    /// <summary>The room settings this record stores.</summary>
    /// <returns>The settings.</returns>
    public FrameSettings ToSettings() => new(Steps, Seed, SeedLocked, Mode, Strength, ControlScale, PresetId);
}

/// <summary>A participant a room admitted, as stored in <see cref="RoomEntity.ParticipantsJson"/>.</summary>
/// <param name="Id">Participant id.</param>
/// <param name="DisplayName">Name shown to others.</param>
/// <param name="Colour">"#rrggbb".</param>
public sealed record StoredParticipant(string Id, string DisplayName, string Colour);

/// <summary>Who may do what in a room, as stored in <see cref="RoomEntity.AccessJson"/>.</summary>
/// <param name="WatchId">The room's watch-only address.</param>
/// <param name="HostId">The host's participant id, or null.</param>
/// <param name="Locked">True while only the host may change the room.</param>
/// <param name="Watchers">Participants who joined by the watch-only link.</param>
/// <param name="Removed">Participants the host removed (they never rejoin as themselves).</param>
/// <param name="RejoinTokens">Each known participant's rejoin secret, so that the host and the others are still themselves
/// when they come back after a restart within the rejoin window.</param>
public sealed record StoredAccess(string WatchId, string? HostId, bool Locked, IReadOnlyList<string>? Watchers, IReadOnlyList<string>? Removed,
    IReadOnlyDictionary<string, string>? RejoinTokens);

/// <summary>A room's newest frame without its image, as stored in <see cref="RoomFrameEntity.Json"/>.</summary>
/// <param name="Revision">The room revision it was rendered from.</param>
/// <param name="ContentType">"image/jpeg" or "image/webp".</param>
/// <param name="Width">Pixels.</param>
/// <param name="Height">Pixels.</param>
/// <param name="Steps">sCM steps used.</param>
/// <param name="Seed">Seed used.</param>
/// <param name="Prompt">Prompt used.</param>
/// <param name="ModelName">Model used.</param>
/// <param name="IsRefinement">True for the refinement frame.</param>
/// <param name="Timings">Where the time went when it was made.</param>
public sealed record StoredFrame(long Revision, string ContentType, int Width, int Height, int Steps, long Seed, string Prompt,
    string ModelName, bool IsRefinement, StoredFrameTimings? Timings)
{
    /// <summary>The stored form of a frame (its image goes to <see cref="RoomFrameEntity.Image"/>).</summary>
    /// <param name="frame">The frame.</param>
    /// <returns>The record to store.</returns>
    public static StoredFrame From(FrameMessage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var t = frame.Timings;
        return new(frame.Revision, frame.ContentType, frame.Width, frame.Height, frame.Steps, frame.Seed, frame.Prompt, frame.ModelName,
            frame.IsRefinement, new StoredFrameTimings(t.QueueMs, t.RasterMs, t.TextMs, t.ControlEncodeMs, [.. t.StepsMs], t.DecodeMs,
                t.ModelMs, t.EncodeMs, t.ServerMs, t.BatchSize, t.WaitMs));
    }

    /// <summary>The frame this record stores.</summary>
    /// <param name="image">The image bytes stored beside it.</param>
    /// <param name="revision">The revision to label it with.</param>
    /// <returns>The frame.</returns>
    public FrameMessage ToFrame(byte[] image, long revision)
    {
        var t = Timings ?? new StoredFrameTimings(0, 0, 0, 0, [], 0, 0, 0, 0, 1, 0);
        return new(revision, image, ContentType, Width, Height, Steps, Seed, Prompt, ModelName, IsRefinement,
            new FrameTimings(t.QueueMs, t.RasterMs, t.TextMs, t.ControlEncodeMs, t.StepsMs ?? [], t.DecodeMs, t.ModelMs, t.EncodeMs,
                t.ServerMs, t.BatchSize, t.WaitMs));
    }
}

/// <summary>A stored frame's timings, in milliseconds.</summary>
/// <param name="QueueMs">Revision to model start.</param>
/// <param name="RasterMs">Rasterising.</param>
/// <param name="TextMs">Prompt encoding.</param>
/// <param name="ControlEncodeMs">Control image encoding.</param>
/// <param name="StepsMs">Each denoising step.</param>
/// <param name="DecodeMs">Decoding.</param>
/// <param name="ModelMs">The whole model run.</param>
/// <param name="EncodeMs">Image encoding.</param>
/// <param name="ServerMs">Revision to send.</param>
/// <param name="BatchSize">Rooms in the model run.</param>
/// <param name="WaitMs">Waiting for other runs.</param>
public sealed record StoredFrameTimings(double QueueMs, double RasterMs, double TextMs, double ControlEncodeMs, double[]? StepsMs,
    double DecodeMs, double ModelMs, double EncodeMs, double ServerMs, int BatchSize, double WaitMs);
