namespace SanaSprint.Web.Presets;

/// <summary>
/// Where the gallery keeps what users made: their saved presets and the frames they chose to keep.
/// Built-in presets come from <see cref="PresetCatalog"/>; this store adds the user's own.
/// </summary>
/// <remarks>
/// The default is <see cref="InMemoryGalleryStore"/> (lost on restart); a SQLite store can replace it
/// behind this interface. Implementations are thread-safe.
/// </remarks>
public interface IGalleryStore
{
    /// <summary>The built-in presets followed by the user presets, newest user preset first.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>All presets.</returns>
    ValueTask<IReadOnlyList<StylePreset>> GetPresetsAsync(CancellationToken cancellationToken = default);

    /// <summary>Finds a built-in or user preset by id.</summary>
    /// <param name="id">The preset id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The preset, or null.</returns>
    ValueTask<StylePreset?> FindPresetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// The prompt the model sees for a room: the room's prompt composed into its preset's template
    /// (<see cref="StylePreset.Compose"/>). An unknown or null preset id leaves the prompt as it is.
    /// </summary>
    /// <param name="prompt">The room's prompt.</param>
    /// <param name="presetId">The room's <c>FrameSettings.PresetId</c>.</param>
    /// <returns>The composed prompt.</returns>
    string ComposePrompt(string prompt, string? presetId);

    /// <summary>Saves a user preset under a new id.</summary>
    /// <param name="preset">The preset; its <see cref="StylePreset.Id"/> is replaced by a fresh one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored preset with its id and creation time.</returns>
    /// <exception cref="ArgumentException">The name or template is empty, or the name is too long.</exception>
    ValueTask<StylePreset> SavePresetAsync(StylePreset preset, CancellationToken cancellationToken = default);

    /// <summary>Deletes a user preset; built-ins cannot be deleted.</summary>
    /// <param name="id">The preset id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>True when a user preset was removed.</returns>
    ValueTask<bool> DeletePresetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Keeps a frame.</summary>
    /// <param name="result">The frame; its <see cref="KeptResult.Id"/> is replaced by a fresh one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored result.</returns>
    /// <exception cref="ArgumentException">The image is empty or larger than the store accepts.</exception>
    ValueTask<KeptResult> KeepResultAsync(KeptResult result, CancellationToken cancellationToken = default);

    /// <summary>The kept frames, newest first.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The kept results.</returns>
    ValueTask<IReadOnlyList<KeptResult>> GetKeptResultsAsync(CancellationToken cancellationToken = default);
}
