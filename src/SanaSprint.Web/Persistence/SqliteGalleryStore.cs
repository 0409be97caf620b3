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
/// Who sees and changes what is <see cref="GalleryAccess"/>'s rule; room memberships older than
/// <see cref="PersistenceOptions.RoomRetention"/> are dropped.
/// </summary>
public sealed class SqliteGalleryStore : IGalleryStore
{
    /// <summary>Longest preset name accepted.</summary>
    public const int MaxNameLength = DurableGalleryRules.MaxNameLength;

    /// <summary>Longest prompt template accepted, in characters.</summary>
    public const int MaxTemplateLength = DurableGalleryRules.MaxTemplateLength;

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
    public ValueTask<IReadOnlyList<StylePreset>> GetPresetsAsync(string? viewerId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<StylePreset> all = [.. _catalog.Presets, .. _userPresets.Select(p => GalleryAccess.VisibleTo(p, viewerId)).OfType<StylePreset>()];
            return ValueTask.FromResult(all);
        }
    }

    /// <inheritdoc />
    public ValueTask<StylePreset?> FindPresetAsync(string id, string? viewerId, CancellationToken cancellationToken = default)
    {
        if (_catalog.Find(id) is { } builtIn) return ValueTask.FromResult<StylePreset?>(builtIn);
        lock (_gate) return ValueTask.FromResult(_userPresets.FirstOrDefault(p => p.Id == id) is { } preset ? GalleryAccess.VisibleTo(preset, viewerId) : null);
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
    public async ValueTask<StylePreset> SavePresetAsync(StylePreset preset, string? ownerId, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var stored = DurableGalleryRules.NewPreset(preset, ownerId, now, _options.MaxImageBytes);
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
    public async ValueTask<bool> DeletePresetAsync(string id, string? ownerId, CancellationToken cancellationToken = default)
    {
        var owner = GalleryOwner.Require(ownerId);
        var stored = _catalog.Find(id) ?? Cached(id);
        if (stored is null) return false;
        GalleryAccess.RequireOwner(stored, owner, "delete");
        await using var context = _database.CreateContext();
        var removed = await context.Presets.Where(p => p.Id == id).ExecuteDeleteAsync(cancellationToken);
        lock (_gate) _userPresets.RemoveAll(p => p.Id == id);
        return removed > 0;
    }

    /// <inheritdoc />
    public async ValueTask<StylePreset> PublishPresetAsync(string id, string? ownerId, bool published, bool includePrompt, CancellationToken cancellationToken = default)
    {
        var owner = GalleryOwner.Require(ownerId);
        var stored = _catalog.Find(id) ?? Cached(id) ?? throw new ArgumentException($"There is no preset '{id}'.", nameof(id));
        GalleryAccess.RequireOwner(stored, owner, "publish");
        var changed = stored with { Published = published, PublishPrompt = published && includePrompt };
        await using (var context = _database.CreateContext())
        {
            var json = JsonSerializer.Serialize(changed, Json);
            await context.Presets.Where(p => p.Id == id).ExecuteUpdateAsync(u => u.SetProperty(p => p.Json, json), cancellationToken);
        }
        lock (_gate)
        {
            var index = _userPresets.FindIndex(p => p.Id == id);
            if (index >= 0) _userPresets[index] = changed;
        }
        return changed;
    }

    private StylePreset? Cached(string id)
    {
        lock (_gate) return _userPresets.FirstOrDefault(p => p.Id == id);
    }

    /// <inheritdoc />
    public async ValueTask<KeptResult> KeepResultAsync(KeptResult result, string? ownerId, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var stored = DurableGalleryRules.NewKeptResult(result, ownerId, now, _options.MaxImageBytes);
        await using var context = _database.CreateContext();
        context.KeptResults.Add(new KeptResultEntity
        {
            Id = stored.Id,
            KeptAtMs = now.ToUnixTimeMilliseconds(),
            Json = JsonSerializer.Serialize(stored with { Image = [] }, Json),
            Image = stored.Image,
            OwnerId = stored.OwnerId,
            RoomId = stored.RoomId,
        });
        await context.SaveChangesAsync(cancellationToken);
        var overflow = await context.KeptResults.OrderByDescending(k => k.KeptAtMs).Skip(_options.MaxKeptResults).Select(k => k.Id).ToListAsync(cancellationToken);
        if (overflow.Count > 0) await context.KeptResults.Where(k => overflow.Contains(k.Id)).ExecuteDeleteAsync(cancellationToken);
        return stored;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<KeptResult>> GetKeptResultsAsync(string? viewerId, CancellationToken cancellationToken = default)
    {
        if (!GalleryOwner.IsOwnerId(viewerId)) return [];
        await using var context = _database.CreateContext();
        var rooms = (await context.RoomMembers.Where(m => m.OwnerId == viewerId).Select(m => m.RoomId).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        // The query picks the candidates; GalleryAccess decides.
        var rows = await context.KeptResults.AsNoTracking()
            .Where(k => k.OwnerId == viewerId || context.RoomMembers.Any(m => m.OwnerId == viewerId && m.RoomId == k.RoomId))
            .OrderByDescending(k => k.KeptAtMs).ToListAsync(cancellationToken);
        return [.. rows
            .Select(r => JsonSerializer.Deserialize<KeptResult>(r.Json, Json) is { } meta ? meta with { Image = r.Image, OwnerId = r.OwnerId, RoomId = r.RoomId } : null)
            .OfType<KeptResult>()
            .Where(k => GalleryAccess.CanSee(k, viewerId, rooms.Contains))];
    }

    /// <inheritdoc />
    public async ValueTask AddMemberAsync(string roomId, string? ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        var owner = GalleryOwner.Require(ownerId);
        var now = _time.GetUtcNow();
        await using var context = _database.CreateContext();
        var row = await context.RoomMembers.FindAsync([roomId, owner], cancellationToken);
        if (row is null) context.RoomMembers.Add(new RoomMemberEntity { RoomId = roomId, OwnerId = owner, JoinedAtMs = now.ToUnixTimeMilliseconds() });
        else row.JoinedAtMs = now.ToUnixTimeMilliseconds();
        try
        {
            await context.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (row is null)
        {
            // The same browser joined the same room at the same moment in another tab: the membership is there.
        }
        if (_options.RoomRetention > TimeSpan.Zero)
        {
            var cutoff = (now - _options.RoomRetention).ToUnixTimeMilliseconds();
            await context.RoomMembers.Where(m => m.JoinedAtMs < cutoff).ExecuteDeleteAsync(cancellationToken);
        }
    }
}
