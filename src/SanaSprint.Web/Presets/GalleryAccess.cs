namespace SanaSprint.Web.Presets;

/// <summary>
/// Who sees and changes what in the gallery, for every <see cref="IGalleryStore"/>: a user preset is its owner's, seen
/// whole by its owner only; published, everyone sees it without the room's prompt (<see cref="StylePreset.Subject"/>)
/// unless its owner published that too. A kept frame is seen by its owner and by the members of its room. Only an owner
/// changes or deletes what it owns.
/// </summary>
public static class GalleryAccess
{
    /// <summary>The preset as <paramref name="viewerId"/> may see it, or null when hidden from that viewer.</summary>
    /// <param name="preset">A stored preset.</param>
    /// <param name="viewerId">The viewer's owner id, or null for a viewer without one.</param>
    public static StylePreset? VisibleTo(StylePreset preset, string? viewerId)
    {
        ArgumentNullException.ThrowIfNull(preset);
        if (preset.BuiltIn) return preset;
        if (preset.OwnerId is not null && preset.OwnerId == viewerId) return preset;
        if (!preset.Published) return null;
        // Someone else's: without who owns it, and without the room's prompt unless the owner shared it.
        return preset with { OwnerId = null, Subject = preset.PublishPrompt ? preset.Subject : null };
    }

    /// <summary>True when <paramref name="viewerId"/> may see the kept frame.</summary>
    /// <param name="result">A stored kept frame.</param>
    /// <param name="viewerId">The viewer's owner id, or null.</param>
    /// <param name="isMember">Whether the viewer is a member of a room.</param>
    public static bool CanSee(KeptResult result, string? viewerId, Func<string, bool> isMember)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(isMember);
        if (viewerId is null) return false;
        return result.OwnerId == viewerId || isMember(result.RoomId);
    }

    /// <summary>Refuses a change of a user preset by anyone but its owner.</summary>
    /// <param name="preset">The stored preset.</param>
    /// <param name="ownerId">The caller's owner id.</param>
    /// <param name="action">What the caller tried ("delete", "publish").</param>
    /// <exception cref="GalleryAccessException">The caller is not the owner.</exception>
    public static void RequireOwner(StylePreset preset, string ownerId, string action)
    {
        ArgumentNullException.ThrowIfNull(preset);
        if (preset.BuiltIn) throw new GalleryAccessException($"Built-in preset '{preset.Name}' cannot be {action}d.");
        if (preset.OwnerId is null || preset.OwnerId != ownerId)
            throw new GalleryAccessException($"Only the browser that saved preset '{preset.Name}' can {action} it.");
    }
}
