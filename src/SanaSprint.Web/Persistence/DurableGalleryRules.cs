using System.Security.Cryptography;
using SanaSprint.Web.Presets;

namespace SanaSprint.Web.Persistence;

/// <summary>
/// What the durable gallery stores (SQLite, Redis) accept and how a new entry is stamped: one home for the limits and the
/// new ids, so every store refuses the same input with the same sentence.
/// </summary>
internal static class DurableGalleryRules
{
    /// <summary>Longest preset name accepted.</summary>
    public const int MaxNameLength = 60;

    /// <summary>Longest prompt template accepted, in characters.</summary>
    public const int MaxTemplateLength = 4000;

    /// <summary>The preset to store: checked, with a fresh id, its trimmed name, the owner and the time, private.</summary>
    /// <exception cref="ArgumentException">Empty or too long name or template, or a thumbnail over <paramref name="maxImageBytes"/>.</exception>
    /// <exception cref="GalleryAccessException">No owner id.</exception>
    public static StylePreset NewPreset(StylePreset preset, string? ownerId, DateTimeOffset now, int maxImageBytes)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var owner = GalleryOwner.Require(ownerId);
        var name = preset.Name?.Trim() ?? "";
        if (name.Length == 0) throw new ArgumentException("`name` must not be empty.", nameof(preset));
        if (name.Length > MaxNameLength)
            throw new ArgumentException($"`name` must be at most {MaxNameLength} characters but is {name.Length}.", nameof(preset));
        if (string.IsNullOrWhiteSpace(preset.PromptTemplate)) throw new ArgumentException("`promptTemplate` must not be empty.", nameof(preset));
        if (preset.PromptTemplate.Length > MaxTemplateLength)
            throw new ArgumentException($"`promptTemplate` must be at most {MaxTemplateLength} characters but is {preset.PromptTemplate.Length}.", nameof(preset));
        // A data: URL carries base64, 4 characters per 3 bytes.
        if (preset.Thumbnail is { } thumb && (long)thumb.Length * 3 / 4 > maxImageBytes)
            throw new ArgumentException($"`thumbnail` must be at most {maxImageBytes} bytes (`Persistence:MaxImageBytes`) but is about {(long)thumb.Length * 3 / 4}.", nameof(preset));
        return preset with
        {
            Id = "u-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Name = name,
            BuiltIn = false,
            CreatedAt = now,
            OwnerId = owner,
            Published = false,
            PublishPrompt = false,
        };
    }

    /// <summary>The kept frame to store: checked, with a fresh id, the owner and the time.</summary>
    /// <exception cref="ArgumentException">An empty image, or one over <paramref name="maxImageBytes"/>.</exception>
    /// <exception cref="GalleryAccessException">No owner id.</exception>
    public static KeptResult NewKeptResult(KeptResult result, string? ownerId, DateTimeOffset now, int maxImageBytes)
    {
        ArgumentNullException.ThrowIfNull(result);
        var owner = GalleryOwner.Require(ownerId);
        if (result.Image is not { Length: > 0 }) throw new ArgumentException("`image` must not be empty.", nameof(result));
        if (result.Image.Length > maxImageBytes)
            throw new ArgumentException($"`image` must be at most {maxImageBytes} bytes (`Persistence:MaxImageBytes`) but is {result.Image.Length}.", nameof(result));
        return result with { Id = "k-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), KeptAt = now, OwnerId = owner };
    }
}
