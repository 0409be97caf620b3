using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Presets;

namespace SanaSprint.Web.Persistence;

/// <summary>
/// A durable <see cref="IGalleryStore"/> over SQLite: user presets (thumbnails inline) and kept results (images as blobs),
/// bounded by <see cref="PersistenceOptions.MaxUserPresets"/>, <see cref="PersistenceOptions.MaxKeptResults"/> and
/// <see cref="PersistenceOptions.MaxImageBytes"/>. User presets are also cached in memory for <see cref="ComposePrompt"/>.
/// </summary>
public sealed class SqliteGalleryStore : IGalleryStore
{
    /// <summary>Longest preset name accepted.</summary>
    public const int MaxNameLength = 60;

    /// <summary>Longest prompt template accepted, in characters.</summary>
    public const int MaxTemplateLength = 4000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly SanaSprintDatabase _database;
    private readonly PresetCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly PersistenceOptions _options;
    private readonly Lock _gate = new();
    private readonly List<StylePreset> _userPresets; // newest first

    /// <summary>Opens the store and loads the user presets.</summary>
    /// <param name="database">The database.</param>
    /// <param name="catalog">The built-in presets.</param>
    /// <param name="options">Size limits.</param>
    /// <param name="time">Clock for creation times.</param>
    public SqliteGalleryStore(SanaSprintDatabase database, PresetCatalog catalog, IOptions<PersistenceOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = database ?? throw new ArgumentNullException(nameof(database));
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options.Value;
        using var context = _database.CreateContext();
        _userPresets = [.. context.Presets.AsNoTracking().OrderByDescending(p => p.CreatedAtMs).AsEnumerable()
            .Select(p => JsonSerializer.Deserialize<StylePreset>(p.Json, Json)).OfType<StylePreset>()];
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StylePreset>> GetPresetsAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<StylePreset> all = [.. _catalog.Presets, .. _userPresets];
            return ValueTask.FromResult(all);
        }
    }

    /// <inheritdoc />
    public ValueTask<StylePreset?> FindPresetAsync(string id, CancellationToken cancellationToken = default)
    {
        if (_catalog.Find(id) is { } builtIn) return ValueTask.FromResult<StylePreset?>(builtIn);
        lock (_gate) return ValueTask.FromResult(_userPresets.FirstOrDefault(p => p.Id == id));
    }

    /// <inheritdoc />
    public string ComposePrompt(string prompt, string? presetId)
    {
        if (presetId is null) return prompt;
        var preset = _catalog.Find(presetId);
        if (preset is null)
        {
            lock (_gate) preset = _userPresets.FirstOrDefault(p => p.Id == presetId);
        }
        return preset is null ? prompt : preset.Compose(prompt);
    }

    /// <inheritdoc />
    public async ValueTask<StylePreset> SavePresetAsync(StylePreset preset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var name = preset.Name?.Trim() ?? "";
        if (name.Length == 0) throw new ArgumentException("`name` must not be empty.", nameof(preset));
        if (name.Length > MaxNameLength)
            throw new ArgumentException($"`name` must be at most {MaxNameLength} characters but is {name.Length}.", nameof(preset));
        if (string.IsNullOrWhiteSpace(preset.PromptTemplate)) throw new ArgumentException("`promptTemplate` must not be empty.", nameof(preset));
        if (preset.PromptTemplate.Length > MaxTemplateLength)
            throw new ArgumentException($"`promptTemplate` must be at most {MaxTemplateLength} characters but is {preset.PromptTemplate.Length}.", nameof(preset));
        // A data: URL carries base64, 4 characters per 3 bytes.
        if (preset.Thumbnail is { } thumb && (long)thumb.Length * 3 / 4 > _options.MaxImageBytes)
            throw new ArgumentException($"`thumbnail` must be at most {_options.MaxImageBytes} bytes (`Persistence:MaxImageBytes`) but is about {(long)thumb.Length * 3 / 4}.", nameof(preset));

        var now = _time.GetUtcNow();
        var stored = preset with
        {
            Id = "u-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Name = name,
            BuiltIn = false,
            CreatedAt = now,
        };
        await using (var context = _database.CreateContext())
        {
            context.Presets.Add(new PresetEntity { Id = stored.Id, CreatedAtMs = now.ToUnixTimeMilliseconds(), Json = JsonSerializer.Serialize(stored, Json) });
            await context.SaveChangesAsync(cancellationToken);
            var overflow = await context.Presets.OrderByDescending(p => p.CreatedAtMs).Skip(_options.MaxUserPresets).Select(p => p.Id).ToListAsync(cancellationToken);
            if (overflow.Count > 0) await context.Presets.Where(p => overflow.Contains(p.Id)).ExecuteDeleteAsync(cancellationToken);
        }
        lock (_gate)
        {
            _userPresets.Insert(0, stored);
            if (_userPresets.Count > _options.MaxUserPresets) _userPresets.RemoveRange(_options.MaxUserPresets, _userPresets.Count - _options.MaxUserPresets);
        }
        return stored;
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeletePresetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var context = _database.CreateContext();
        var removed = await context.Presets.Where(p => p.Id == id).ExecuteDeleteAsync(cancellationToken);
        lock (_gate) _userPresets.RemoveAll(p => p.Id == id);
        return removed > 0;
    }

    /// <inheritdoc />
    public async ValueTask<KeptResult> KeepResultAsync(KeptResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Image is not { Length: > 0 }) throw new ArgumentException("`image` must not be empty.", nameof(result));
        if (result.Image.Length > _options.MaxImageBytes)
            throw new ArgumentException($"`image` must be at most {_options.MaxImageBytes} bytes (`Persistence:MaxImageBytes`) but is {result.Image.Length}.", nameof(result));
        var now = _time.GetUtcNow();
        var stored = result with { Id = "k-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), KeptAt = now };
        await using var context = _database.CreateContext();
        context.KeptResults.Add(new KeptResultEntity
        {
            Id = stored.Id,
            KeptAtMs = now.ToUnixTimeMilliseconds(),
            Json = JsonSerializer.Serialize(stored with { Image = [] }, Json),
            Image = stored.Image,
        });
        await context.SaveChangesAsync(cancellationToken);
        var overflow = await context.KeptResults.OrderByDescending(k => k.KeptAtMs).Skip(_options.MaxKeptResults).Select(k => k.Id).ToListAsync(cancellationToken);
        if (overflow.Count > 0) await context.KeptResults.Where(k => overflow.Contains(k.Id)).ExecuteDeleteAsync(cancellationToken);
        return stored;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<KeptResult>> GetKeptResultsAsync(CancellationToken cancellationToken = default)
    {
        await using var context = _database.CreateContext();
        var rows = await context.KeptResults.AsNoTracking().OrderByDescending(k => k.KeptAtMs).ToListAsync(cancellationToken);
        return [.. rows.Select(r => JsonSerializer.Deserialize<KeptResult>(r.Json, Json) is { } meta ? meta with { Image = r.Image } : null).OfType<KeptResult>()];
    }
}
