namespace SanaSprint.Web.Presets;

/// <summary>
/// Where the gallery keeps what users made: their saved presets and the frames they chose to keep, each owned by the
/// browser that made it (<see cref="GalleryOwner"/>), and which rooms each browser is a member of.
/// Built-in presets come from <see cref="PresetCatalog"/>; this store adds the user's own.
/// </summary>
/// <remarks>
/// <para>Who sees and changes what is <see cref="GalleryAccess"/>'s rule, the same for every implementation: reads take the
/// viewer's owner id and return only what that viewer may see; changes take the caller's owner id and throw
/// <see cref="GalleryAccessException"/> for anyone but the owner.</para>
/// <para>The default is <see cref="InMemoryGalleryStore"/> (lost on restart); a SQLite store can replace it
/// behind this interface. Implementations are thread-safe.</para>
/// </remarks>
public interface IGalleryStore
{
    /// <summary>
    /// The built-in presets, then the presets <paramref name="viewerId"/> may see (its own, whole; others' published ones,
    /// without their prompt unless published with it), newest first.
    /// </summary>
    /// <param name="viewerId">The viewer's owner id, or null (built-ins and published presets only).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The presets.</returns>
    ValueTask<IReadOnlyList<StylePreset>> GetPresetsAsync(string? viewerId, CancellationToken cancellationToken = default);

    /// <summary>Finds a built-in or user preset by id, as <paramref name="viewerId"/> may see it.</summary>
    /// <param name="id">The preset id.</param>
    /// <param name="viewerId">The viewer's owner id, or null.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The preset, or null when unknown or hidden from the viewer.</returns>
    ValueTask<StylePreset?> FindPresetAsync(string id, string? viewerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The prompt the model sees for a room: the room's prompt composed into its preset's template
    /// (<see cref="StylePreset.Compose"/>). An unknown or null preset id leaves the prompt as it is.
    /// </summary>
    /// <param name="prompt">The room's prompt.</param>
    /// <param name="presetId">The room's <c>FrameSettings.PresetId</c>.</param>
    /// <returns>The composed prompt.</returns>
    string ComposePrompt(string prompt, string? presetId);

    /// <summary>Saves a private user preset of <paramref name="ownerId"/> under a new id.</summary>
    /// <param name="preset">The preset; its <see cref="StylePreset.Id"/> is replaced by a fresh one, and it starts unpublished.</param>
    /// <param name="ownerId">The saving browser's owner id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored preset with its id and creation time.</returns>
    /// <exception cref="ArgumentException">The name or template is empty, or the name is too long.</exception>
    /// <exception cref="GalleryAccessException">No owner id.</exception>
    ValueTask<StylePreset> SavePresetAsync(StylePreset preset, string? ownerId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a user preset, for its owner only; built-ins cannot be deleted.</summary>
    /// <param name="id">The preset id.</param>
    /// <param name="ownerId">The caller's owner id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>True when a preset was removed; false when there is none with this id.</returns>
    /// <exception cref="GalleryAccessException">The caller does not own the preset; it stays.</exception>
    ValueTask<bool> DeletePresetAsync(string id, string? ownerId, CancellationToken cancellationToken = default);

    /// <summary>Publishes a user preset for everyone, or takes it back; for its owner only.</summary>
    /// <param name="id">The preset id.</param>
    /// <param name="ownerId">The caller's owner id.</param>
    /// <param name="published">True to publish, false to make it private again.</param>
    /// <param name="includePrompt">When publishing: whether others see the room's prompt saved with it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored preset.</returns>
    /// <exception cref="ArgumentException">No preset with this id.</exception>
    /// <exception cref="GalleryAccessException">The caller does not own the preset; it is unchanged.</exception>
    ValueTask<StylePreset> PublishPresetAsync(string id, string? ownerId, bool published, bool includePrompt, CancellationToken cancellationToken = default);

    /// <summary>Keeps a frame for <paramref name="ownerId"/> (and the members of its room).</summary>
    /// <param name="result">The frame; its <see cref="KeptResult.Id"/> is replaced by a fresh one.</param>
    /// <param name="ownerId">The keeping browser's owner id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored result.</returns>
    /// <exception cref="ArgumentException">The image is empty or larger than the store accepts.</exception>
    /// <exception cref="GalleryAccessException">No owner id.</exception>
    ValueTask<KeptResult> KeepResultAsync(KeptResult result, string? ownerId, CancellationToken cancellationToken = default);

    /// <summary>The kept frames <paramref name="viewerId"/> may see (its own and those of rooms it is a member of), newest first.</summary>
    /// <param name="viewerId">The viewer's owner id, or null (nothing).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The kept results.</returns>
    ValueTask<IReadOnlyList<KeptResult>> GetKeptResultsAsync(string? viewerId, CancellationToken cancellationToken = default);

    /// <summary>Records that the browser <paramref name="ownerId"/> joined a room, so it sees the room's kept frames.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="ownerId">The browser's owner id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="GalleryAccessException">No owner id.</exception>
    ValueTask AddMemberAsync(string roomId, string? ownerId, CancellationToken cancellationToken = default);
}
