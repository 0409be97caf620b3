using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Persistence;
using SanaSprint.Web.Presets;
using StackExchange.Redis;

namespace SanaSprint.Web.Cluster.Redis;

/// <summary>
/// The <see cref="IGalleryStore"/> of a deployment: user presets, kept frames and room memberships in Redis, shared by
/// every web node, bounded by <see cref="PersistenceOptions.MaxUserPresets"/>, <see cref="PersistenceOptions.MaxKeptResults"/>
/// and <see cref="PersistenceOptions.MaxImageBytes"/> (the oldest go first). Who sees and changes what is
/// <see cref="GalleryAccess"/>'s rule; memberships older than <see cref="PersistenceOptions.RoomRetention"/> are dropped.
/// </summary>
/// <remarks>
/// Keys, under <see cref="DeploymentOptions.ClusterId"/> and the hash tag <c>{gallery}</c> (one slot, so each change is one
/// atomic script): <c>presets</c> (hash id → preset JSON) with <c>presets:order</c> (sorted by creation time),
/// <c>kept</c> (hash id → kept frame JSON without its image), <c>kept:images</c> (hash id → image) with <c>kept:order</c>,
/// and <c>members:OWNER</c> (the rooms a browser joined, scored by when). <see cref="ComposePrompt"/> is synchronous (the
/// room rules call it under a room's lock): a preset's template never changes once saved, so each node caches the
/// templates it has read.
/// </remarks>
public sealed class RedisGalleryStore : IGalleryStore
{
    /// <summary>Longest preset name accepted.</summary>
    public const int MaxNameLength = DurableGalleryRules.MaxNameLength;

    /// <summary>Longest prompt template accepted, in characters.</summary>
    public const int MaxTemplateLength = DurableGalleryRules.MaxTemplateLength;

    /// <summary>How long a node composes with a template it read before reading it again (a preset deleted on another node
    /// stops composing here within this time).</summary>
    private static readonly TimeSpan TemplateMemory = TimeSpan.FromSeconds(30);

    /// <summary>How long a preset id found nowhere is remembered as unknown before it is looked up again.</summary>
    private static readonly TimeSpan UnknownPresetMemory = TimeSpan.FromSeconds(5);

    /// <summary>Most preset ids a node remembers for composing; past it the memory starts afresh.</summary>
    private const int MaxRemembered = 10_000;

    /// <summary>Adds ARGV[1] = JSON under id ARGV[2] with score ARGV[3] and trims to the newest ARGV[4]; ARGV[5], when present, is the image.</summary>
    private const string AddScript = """
        redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
        if ARGV[5] then redis.call('HSET', KEYS[3], ARGV[2], ARGV[5]) end
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
        local overflow = redis.call('ZREVRANGE', KEYS[2], tonumber(ARGV[4]), -1)
        for i = 1, #overflow do
          redis.call('HDEL', KEYS[1], overflow[i])
          redis.call('HDEL', KEYS[3], overflow[i])
          redis.call('ZREM', KEYS[2], overflow[i])
        end
        return #overflow
        """;

    /// <summary>Replaces the JSON of id ARGV[1] with ARGV[2] only while it exists (a publish never brings back a deleted preset).</summary>
    private const string ReplaceScript = """
        if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly PresetCatalog _catalog;
    private readonly PersistenceOptions _options;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, (StylePreset? Preset, DateTimeOffset ReadAt)> _templates = new(StringComparer.Ordinal);

    /// <summary>Creates the store.</summary>
    /// <param name="redis">The process's Redis connection.</param>
    /// <param name="catalog">The built-in presets.</param>
    /// <param name="deployment">The cluster id (the prefix of every key).</param>
    /// <param name="options">Size limits and membership retention.</param>
    /// <param name="time">Clock for creation times.</param>
    public RedisGalleryStore(IConnectionMultiplexer redis, PresetCatalog catalog, IOptions<DeploymentOptions> deployment, IOptions<PersistenceOptions> options,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _options = options.Value;
        _prefix = deployment.Value.ClusterId + ":{gallery}:";
    }

    private RedisKey Presets => _prefix + "presets";
    private RedisKey PresetOrder => _prefix + "presets:order";
    private RedisKey Kept => _prefix + "kept";
    private RedisKey KeptImages => _prefix + "kept:images";
    private RedisKey KeptOrder => _prefix + "kept:order";
    private RedisKey Members(string ownerId) => _prefix + "members:" + ownerId;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StylePreset>> GetPresetsAsync(string? viewerId, CancellationToken cancellationToken = default)
    {
        var user = await UserPresetsAsync(cancellationToken);
        return [.. _catalog.Presets, .. user.Select(p => GalleryAccess.VisibleTo(p, viewerId)).OfType<StylePreset>()];
    }

    /// <inheritdoc />
    public async ValueTask<StylePreset?> FindPresetAsync(string id, string? viewerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (_catalog.Find(id) is { } builtIn) return builtIn;
        return await StoredPresetAsync(id, cancellationToken) is { } preset ? GalleryAccess.VisibleTo(preset, viewerId) : null;
    }

    /// <inheritdoc />
    public string ComposePrompt(string prompt, string? presetId)
    {
        if (presetId is null) return prompt;
        var preset = _catalog.Find(presetId) ?? CachedTemplate(presetId);
        return preset is null ? prompt : preset.Compose(prompt);
    }

    /// <inheritdoc />
    public async ValueTask<StylePreset> SavePresetAsync(StylePreset preset, string? ownerId, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var stored = DurableGalleryRules.NewPreset(preset, ownerId, now, _options.MaxImageBytes);
        await _redis.GetDatabase().ScriptEvaluateAsync(AddScript, [Presets, PresetOrder, Presets],
            [StoredJson.Serialize(stored), stored.Id, now.ToUnixTimeMilliseconds(), _options.MaxUserPresets]).WaitAsync(cancellationToken);
        _templates[stored.Id] = (stored, now);
        return stored;
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeletePresetAsync(string id, string? ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var owner = GalleryOwner.Require(ownerId);
        var stored = _catalog.Find(id) ?? await StoredPresetAsync(id, cancellationToken);
        if (stored is null) return false;
        GalleryAccess.RequireOwner(stored, owner, "delete");
        var db = _redis.GetDatabase();
        var transaction = db.CreateTransaction();
        var removed = transaction.HashDeleteAsync(Presets, id);
        _ = transaction.SortedSetRemoveAsync(PresetOrder, id);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        _templates.TryRemove(id, out _);
        return await removed;
    }

    /// <inheritdoc />
    public async ValueTask<StylePreset> PublishPresetAsync(string id, string? ownerId, bool published, bool includePrompt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var owner = GalleryOwner.Require(ownerId);
        var stored = _catalog.Find(id) ?? await StoredPresetAsync(id, cancellationToken) ?? throw new ArgumentException($"There is no preset '{id}'.", nameof(id));
        GalleryAccess.RequireOwner(stored, owner, "publish");
        var changed = stored with { Published = published, PublishPrompt = published && includePrompt };
        var replaced = (int)await _redis.GetDatabase().ScriptEvaluateAsync(ReplaceScript, [Presets], [id, StoredJson.Serialize(changed)]).WaitAsync(cancellationToken);
        if (replaced == 0) throw new ArgumentException($"There is no preset '{id}'.", nameof(id));
        return changed;
    }

    /// <inheritdoc />
    public async ValueTask<KeptResult> KeepResultAsync(KeptResult result, string? ownerId, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var stored = DurableGalleryRules.NewKeptResult(result, ownerId, now, _options.MaxImageBytes);
        await _redis.GetDatabase().ScriptEvaluateAsync(AddScript, [Kept, KeptOrder, KeptImages],
            [StoredJson.Serialize(stored with { Image = [] }), stored.Id, now.ToUnixTimeMilliseconds(), _options.MaxKeptResults, stored.Image])
            .WaitAsync(cancellationToken);
        return stored;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<KeptResult>> GetKeptResultsAsync(string? viewerId, CancellationToken cancellationToken = default)
    {
        if (!GalleryOwner.IsOwnerId(viewerId)) return [];
        var db = _redis.GetDatabase();
        var roomsTask = db.SortedSetRangeByRankAsync(Members(viewerId));
        var keptTask = db.HashGetAllAsync(Kept);
        await Task.WhenAll(roomsTask, keptTask).WaitAsync(cancellationToken);
        var rooms = (await roomsTask).Select(r => (string)r!).ToHashSet(StringComparer.Ordinal);
        // The hash picks the candidates; GalleryAccess decides.
        var visible = (await keptTask)
            .Select(e => StoredJson.Deserialize<KeptResult>((string)e.Value!))
            .Where(k => GalleryAccess.CanSee(k, viewerId, rooms.Contains))
            .OrderByDescending(k => k.KeptAt)
            .ToList();
        if (visible.Count == 0) return [];
        var images = await db.HashGetAsync(KeptImages, [.. visible.Select(k => (RedisValue)k.Id)]).WaitAsync(cancellationToken);
        return [.. visible.Select((k, i) => images[i].IsNull ? null : k with { Image = (byte[])images[i]! }).OfType<KeptResult>()];
    }

    /// <inheritdoc />
    public async ValueTask AddMemberAsync(string roomId, string? ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        var owner = GalleryOwner.Require(ownerId);
        var now = _time.GetUtcNow();
        var db = _redis.GetDatabase();
        var batch = db.CreateBatch();
        var added = batch.SortedSetAddAsync(Members(owner), roomId, now.ToUnixTimeMilliseconds());
        var trimmed = _options.RoomRetention > TimeSpan.Zero
            ? batch.SortedSetRemoveRangeByScoreAsync(Members(owner), double.NegativeInfinity, (now - _options.RoomRetention).ToUnixTimeMilliseconds(), Exclude.Stop)
            : Task.FromResult(0L);
        var expiry = _options.RoomRetention > TimeSpan.Zero ? batch.KeyExpireAsync(Members(owner), _options.RoomRetention) : Task.FromResult(true);
        batch.Execute();
        await Task.WhenAll(added, trimmed, expiry).WaitAsync(cancellationToken);
    }

    private async Task<List<StylePreset>> UserPresetsAsync(CancellationToken cancellationToken)
    {
        var entries = await _redis.GetDatabase().HashGetAllAsync(Presets).WaitAsync(cancellationToken);
        return [.. entries.Select(e => StoredJson.Deserialize<StylePreset>((string)e.Value!)).OrderByDescending(p => p.CreatedAt)];
    }

    private async Task<StylePreset?> StoredPresetAsync(string id, CancellationToken cancellationToken)
    {
        var json = await _redis.GetDatabase().HashGetAsync(Presets, id).WaitAsync(cancellationToken);
        return json.IsNullOrEmpty ? null : StoredJson.Deserialize<StylePreset>((string)json!);
    }

    /// <summary>A user preset for composing, from this node's memory or (a blocking read, now and then) from Redis.</summary>
    private StylePreset? CachedTemplate(string presetId)
    {
        var now = _time.GetUtcNow();
        if (_templates.TryGetValue(presetId, out var cached) && now - cached.ReadAt < (cached.Preset is null ? UnknownPresetMemory : TemplateMemory))
            return cached.Preset;
        var json = _redis.GetDatabase().HashGet(Presets, presetId);
        var preset = json.IsNullOrEmpty ? null : StoredJson.Deserialize<StylePreset>((string)json!);
        if (_templates.Count >= MaxRemembered) _templates.Clear();
        _templates[presetId] = (preset, now);
        return preset;
    }
}
