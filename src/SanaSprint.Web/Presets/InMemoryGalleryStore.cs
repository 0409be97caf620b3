using System.Security.Cryptography;

namespace SanaSprint.Web.Presets;

/// <summary>
/// The default <see cref="IGalleryStore"/>: user presets and kept frames in memory, bounded so a busy
/// server cannot grow without limit (the oldest entries go first).
/// </summary>
/// <param name="catalog">The built-in presets.</param>
/// <param name="timeProvider">Clock for creation times.</param>
public sealed class InMemoryGalleryStore(PresetCatalog catalog, TimeProvider timeProvider) : IGalleryStore
{
    /// <summary>Most user presets kept; older ones are dropped.</summary>
    public const int MaxUserPresets = 200;

    /// <summary>Most kept results; older ones are dropped.</summary>
    public const int MaxKeptResults = 100;

    /// <summary>Largest image accepted for a kept result or a thumbnail, in bytes.</summary>
    public const int MaxImageBytes = 4 * 1024 * 1024;

    /// <summary>Longest preset name accepted.</summary>
    public const int MaxNameLength = 60;

    private readonly Lock _gate = new();
    private readonly LinkedList<StylePreset> _userPresets = new();
    private readonly LinkedList<KeptResult> _kept = new();
    private readonly LinkedList<(string RoomId, string OwnerId)> _members = new(); // newest first

    /// <summary>Most room memberships kept; the oldest go first.</summary>
    public const int MaxMembers = 10_000;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StylePreset>> GetPresetsAsync(string? viewerId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<StylePreset> all = [.. catalog.Presets, .. _userPresets.Select(p => GalleryAccess.VisibleTo(p, viewerId)).OfType<StylePreset>()];
            return ValueTask.FromResult(all);
        }
    }

    /// <inheritdoc />
    public ValueTask<StylePreset?> FindPresetAsync(string id, string? viewerId, CancellationToken cancellationToken = default)
    {
        if (catalog.Find(id) is { } builtIn)
        {
            return ValueTask.FromResult<StylePreset?>(builtIn);
        }

        lock (_gate)
        {
            return ValueTask.FromResult(_userPresets.FirstOrDefault(p => p.Id == id) is { } preset ? GalleryAccess.VisibleTo(preset, viewerId) : null);
        }
    }

    /// <inheritdoc />
    public string ComposePrompt(string prompt, string? presetId)
    {
        if (presetId is null) return prompt;
        var preset = catalog.Find(presetId);
        if (preset is null)
        {
            lock (_gate)
            {
                preset = _userPresets.FirstOrDefault(p => p.Id == presetId);
            }
        }

        return preset is null ? prompt : preset.Compose(prompt);
    }

    /// <inheritdoc />
    public ValueTask<StylePreset> SavePresetAsync(StylePreset preset, string? ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var owner = GalleryOwner.Require(ownerId);
        var name = preset.Name?.Trim() ?? "";
        if (name.Length == 0)
        {
            throw new ArgumentException("`name` must not be empty.", nameof(preset));
        }

        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"`name` must be at most {MaxNameLength} characters but is {name.Length}.", nameof(preset));
        }

        if (string.IsNullOrWhiteSpace(preset.PromptTemplate))
        {
            throw new ArgumentException("`promptTemplate` must not be empty.", nameof(preset));
        }

        if (preset.Thumbnail is { Length: > MaxImageBytes * 2 })
        {
            throw new ArgumentException($"`thumbnail` must be under {MaxImageBytes} bytes.", nameof(preset));
        }

        var stored = preset with
        {
            Id = "u-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Name = name,
            BuiltIn = false,
            CreatedAt = timeProvider.GetUtcNow(),
            OwnerId = owner,
            Published = false,
            PublishPrompt = false,
        };
        lock (_gate)
        {
            _userPresets.AddFirst(stored);
            while (_userPresets.Count > MaxUserPresets)
            {
                _userPresets.RemoveLast();
            }
        }

        return ValueTask.FromResult(stored);
    }

    /// <inheritdoc />
    public ValueTask<bool> DeletePresetAsync(string id, string? ownerId, CancellationToken cancellationToken = default)
    {
        var owner = GalleryOwner.Require(ownerId);
        if (catalog.Find(id) is { } builtIn) GalleryAccess.RequireOwner(builtIn, owner, "delete");
        lock (_gate)
        {
            for (var node = _userPresets.First; node is not null; node = node.Next)
            {
                if (node.Value.Id == id)
                {
                    GalleryAccess.RequireOwner(node.Value, owner, "delete");
                    _userPresets.Remove(node);
                    return ValueTask.FromResult(true);
                }
            }
        }

        return ValueTask.FromResult(false);
    }

    /// <inheritdoc />
    public ValueTask<StylePreset> PublishPresetAsync(string id, string? ownerId, bool published, bool includePrompt, CancellationToken cancellationToken = default)
    {
        var owner = GalleryOwner.Require(ownerId);
        if (catalog.Find(id) is { } builtIn) GalleryAccess.RequireOwner(builtIn, owner, "publish");
        lock (_gate)
        {
            for (var node = _userPresets.First; node is not null; node = node.Next)
            {
                if (node.Value.Id == id)
                {
                    GalleryAccess.RequireOwner(node.Value, owner, "publish");
                    node.Value = node.Value with { Published = published, PublishPrompt = published && includePrompt };
                    return ValueTask.FromResult(node.Value);
                }
            }
        }

        throw new ArgumentException($"There is no preset '{id}'.", nameof(id));
    }

    /// <inheritdoc />
    public ValueTask<KeptResult> KeepResultAsync(KeptResult result, string? ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        var owner = GalleryOwner.Require(ownerId);
        if (result.Image is not { Length: > 0 })
        {
            throw new ArgumentException("`image` must not be empty.", nameof(result));
        }

        if (result.Image.Length > MaxImageBytes)
        {
            throw new ArgumentException($"`image` must be at most {MaxImageBytes} bytes but is {result.Image.Length}.", nameof(result));
        }

        var stored = result with
        {
            Id = "k-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            KeptAt = timeProvider.GetUtcNow(),
            OwnerId = owner,
        };
        lock (_gate)
        {
            _kept.AddFirst(stored);
            while (_kept.Count > MaxKeptResults)
            {
                _kept.RemoveLast();
            }
        }

        return ValueTask.FromResult(stored);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<KeptResult>> GetKeptResultsAsync(string? viewerId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var rooms = _members.Where(m => m.OwnerId == viewerId).Select(m => m.RoomId).ToHashSet(StringComparer.Ordinal);
            IReadOnlyList<KeptResult> visible = [.. _kept.Where(k => GalleryAccess.CanSee(k, viewerId, rooms.Contains))];
            return ValueTask.FromResult(visible);
        }
    }

    /// <inheritdoc />
    public ValueTask AddMemberAsync(string roomId, string? ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roomId);
        var owner = GalleryOwner.Require(ownerId);
        lock (_gate)
        {
            if (!_members.Contains((roomId, owner)))
            {
                _members.AddFirst((roomId, owner));
                while (_members.Count > MaxMembers) _members.RemoveLast();
            }
        }

        return ValueTask.CompletedTask;
    }
}
