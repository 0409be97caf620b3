using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Presets;

/// <summary>
/// A prompt preset: a prompt template with a <c>{prompt}</c> slot for the room's own words, plus the
/// generation settings it suggests. Built-in style presets come from <c>presets.json</c>; users save
/// their own from a room (then <see cref="Subject"/> holds the room's prompt and the thumbnail is its
/// latest frame).
/// </summary>
public sealed record StylePreset
{
    /// <summary>The placeholder in <see cref="PromptTemplate"/> that the room's prompt replaces.</summary>
    public const string Slot = "{prompt}";

    /// <summary>Stable identifier (built-ins: a slug such as <c>watercolour</c>; user presets: <c>u-</c> + random hex).</summary>
    public required string Id { get; init; }

    /// <summary>Display name.</summary>
    public required string Name { get; init; }

    /// <summary>One sentence shown under the name.</summary>
    public string Description { get; init; } = "";

    /// <summary>The prompt template; <see cref="Slot"/> marks where the subject goes.</summary>
    public required string PromptTemplate { get; init; }

    /// <summary>Thumbnail URL: a web-root path for built-ins, a <c>data:</c> URL for user presets; null when none.</summary>
    public string? Thumbnail { get; init; }

    /// <summary>The subject (the room's prompt) saved with a user preset; null for style-only presets.</summary>
    public string? Subject { get; init; }

    /// <summary>Suggested sCM steps (1–4), or null to keep the room's.</summary>
    public int? Steps { get; init; }

    /// <summary>Suggested guidance mode, or null to keep the room's.</summary>
    public GuidanceMode? Mode { get; init; }

    /// <summary>Suggested img2img strength in [0, 1], or null to keep the room's.</summary>
    public float? Strength { get; init; }

    /// <summary>Suggested ControlNet conditioning scale, or null to keep the room's.</summary>
    public float? ControlScale { get; init; }

    /// <summary>Seed saved with a user preset, or null to keep the room's.</summary>
    public long? Seed { get; init; }

    /// <summary>True for presets shipped in <c>presets.json</c>.</summary>
    public bool BuiltIn { get; init; }

    /// <summary>When a user preset was saved; null for built-ins.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>
    /// The <see cref="GalleryOwner"/> id of the browser that saved a user preset; null for built-ins, and in a copy shown to
    /// anyone else (<see cref="GalleryAccess.VisibleTo"/>).
    /// </summary>
    public string? OwnerId { get; init; }

    /// <summary>True when the owner published the preset for everyone (otherwise only its owner sees it).</summary>
    public bool Published { get; init; }

    /// <summary>True when the owner published <see cref="Subject"/> (the room's prompt) with the preset; otherwise others do not see it.</summary>
    public bool PublishPrompt { get; init; }

    /// <summary>
    /// The prompt the model sees: the template with <see cref="Slot"/> replaced by <paramref name="subject"/>.
    /// An empty subject leaves the template's style words alone (dangling separators are trimmed); a
    /// template without a slot gets the subject appended after a comma.
    /// </summary>
    /// <param name="subject">The room's prompt.</param>
    /// <returns>The composed prompt, trimmed.</returns>
    public string Compose(string? subject)
    {
        subject = subject?.Trim() ?? "";
        string composed;
        if (PromptTemplate.Contains(Slot, StringComparison.Ordinal))
        {
            composed = PromptTemplate.Replace(Slot, subject, StringComparison.Ordinal);
        }
        else
        {
            composed = subject.Length == 0 ? PromptTemplate : $"{PromptTemplate}, {subject}";
        }

        // Tidy what an empty subject leaves behind: "of , x" → "of x", leading ", ".
        composed = composed.Replace(" ,", ",", StringComparison.Ordinal).Replace(",,", ",", StringComparison.Ordinal);
        return composed.Trim().Trim(',').Trim();
    }

    /// <summary>
    /// The room settings after applying this preset: <see cref="FrameSettings.PresetId"/> becomes <see cref="Id"/>, and each
    /// suggested setting replaces the room's (a suggested mode only when the model supports it; a saved seed also locks it).
    /// </summary>
    /// <param name="current">The room's settings now.</param>
    /// <param name="supportedModes">Modes the model supports; null accepts any.</param>
    /// <returns>The new settings.</returns>
    public FrameSettings ApplyTo(FrameSettings current, IReadOnlyCollection<GuidanceMode>? supportedModes = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        var mode = Mode is { } m && (supportedModes is null || supportedModes.Contains(m)) ? m : current.Mode;
        return current with
        {
            PresetId = Id,
            Steps = Steps ?? current.Steps,
            Mode = mode,
            Strength = Strength ?? current.Strength,
            ControlScale = ControlScale ?? current.ControlScale,
            Seed = Seed ?? current.Seed,
            SeedLocked = Seed is not null || current.SeedLocked,
        };
    }
}
