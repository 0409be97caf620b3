using System.Text.Json;
using System.Text.Json.Serialization;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Presets;

/// <summary>
/// The built-in style presets, read once from <c>presets.json</c> (embedded in this assembly).
/// </summary>
/// <remarks>
/// Every entry is validated on load: ids are unique slugs, names and templates are non-empty, each
/// template has at most one <c>{prompt}</c> slot, and suggested settings are in range. A bad file fails
/// with a message naming the file, the preset and the field.
/// </remarks>
public sealed class PresetCatalog
{
    /// <summary>The embedded resource name of the default catalog.</summary>
    public const string ResourceName = "SanaSprint.Web.Presets.presets.json";

    /// <summary>The preset applied when a room names none.</summary>
    public const string DefaultPresetId = "none";

    private readonly Dictionary<string, StylePreset> _byId;

    /// <summary>Creates a catalog from already validated presets.</summary>
    /// <param name="presets">The presets, in display order.</param>
    /// <exception cref="ArgumentException">Two presets share an id.</exception>
    public PresetCatalog(IReadOnlyList<StylePreset> presets)
    {
        ArgumentNullException.ThrowIfNull(presets);
        Presets = presets;
        _byId = new Dictionary<string, StylePreset>(StringComparer.Ordinal);
        foreach (var preset in presets)
        {
            if (!_byId.TryAdd(preset.Id, preset))
            {
                throw new ArgumentException($"preset id '{preset.Id}' appears more than once.", nameof(presets));
            }
        }
    }

    /// <summary>The built-in presets in display order.</summary>
    public IReadOnlyList<StylePreset> Presets { get; }

    /// <summary>Finds a built-in preset by id.</summary>
    /// <param name="id">The preset id.</param>
    /// <returns>The preset, or null when no built-in has that id.</returns>
    public StylePreset? Find(string? id) => id is not null && _byId.TryGetValue(id, out var preset) ? preset : null;

    /// <summary>Loads the catalog embedded in this assembly.</summary>
    /// <returns>The built-in catalog.</returns>
    public static PresetCatalog LoadDefault()
    {
        using var stream = typeof(PresetCatalog).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource '{ResourceName}' is missing from {typeof(PresetCatalog).Assembly.GetName().Name}.");
        return Load(stream, "presets.json");
    }

    /// <summary>Loads and validates a catalog in the <c>presets.json</c> format.</summary>
    /// <param name="json">The JSON stream.</param>
    /// <param name="source">Name of the file, for error messages.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="InvalidDataException">The JSON is malformed or a preset is invalid (the message names <paramref name="source"/>, the preset and the field).</exception>
    public static PresetCatalog Load(Stream json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        CatalogFile? file;
        try
        {
            file = JsonSerializer.Deserialize(json, PresetJsonContext.Default.CatalogFile);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: not valid preset JSON ({ex.Message}).", ex);
        }

        if (file?.Presets is not { Count: > 0 } entries)
        {
            throw new InvalidDataException($"{source}: 'presets' must be a non-empty array.");
        }

        var presets = new List<StylePreset>(entries.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var where = $"{source}: presets[{i}]" + (string.IsNullOrWhiteSpace(e.Id) ? "" : $" ('{e.Id}')");
            if (string.IsNullOrWhiteSpace(e.Id) || !e.Id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                throw new InvalidDataException($"{where}: 'id' must be a non-empty lowercase slug (a-z, 0-9, '-') but is '{e.Id}'.");
            }

            if (!seen.Add(e.Id))
            {
                throw new InvalidDataException($"{where}: 'id' is used by an earlier preset.");
            }

            if (string.IsNullOrWhiteSpace(e.Name))
            {
                throw new InvalidDataException($"{where}: 'name' must not be empty.");
            }

            if (string.IsNullOrWhiteSpace(e.PromptTemplate))
            {
                throw new InvalidDataException($"{where}: 'promptTemplate' must not be empty.");
            }

            var slots = CountSlots(e.PromptTemplate);
            if (slots > 1)
            {
                throw new InvalidDataException($"{where}: 'promptTemplate' has {slots} '{StylePreset.Slot}' slots; at most one is allowed.");
            }

            if (e.Steps is < 1 or > 4)
            {
                throw new InvalidDataException($"{where}: 'steps' must be 1–4 but is {e.Steps}.");
            }

            if (e.Strength is < 0f or > 1f)
            {
                throw new InvalidDataException($"{where}: 'strength' must be in [0, 1] but is {e.Strength}.");
            }

            if (e.ControlScale is < 0f or > 2f)
            {
                throw new InvalidDataException($"{where}: 'controlScale' must be in [0, 2] but is {e.ControlScale}.");
            }

            presets.Add(new StylePreset
            {
                Id = e.Id,
                Name = e.Name.Trim(),
                Description = e.Description?.Trim() ?? "",
                PromptTemplate = e.PromptTemplate.Trim(),
                Thumbnail = e.Thumbnail,
                Steps = e.Steps,
                Mode = e.Mode,
                Strength = e.Strength,
                ControlScale = e.ControlScale,
                BuiltIn = true,
            });
        }

        return new PresetCatalog(presets);
    }

    private static int CountSlots(string template)
    {
        var count = 0;
        for (var at = template.IndexOf(StylePreset.Slot, StringComparison.Ordinal); at >= 0; at = template.IndexOf(StylePreset.Slot, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    internal sealed record CatalogFile
    {
        public int Version { get; init; }
        public List<CatalogEntry>? Presets { get; init; }
    }

    internal sealed record CatalogEntry
    {
        public string Id { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Description { get; init; }
        public string PromptTemplate { get; init; } = "";
        public string? Thumbnail { get; init; }
        public int? Steps { get; init; }
        public GuidanceMode? Mode { get; init; }
        public float? Strength { get; init; }
        public float? ControlScale { get; init; }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PresetCatalog.CatalogFile))]
internal sealed partial class PresetJsonContext : JsonSerializerContext;
