namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// The checkpoint the loader uses when <see cref="InferenceOptions.CheckpointPath"/> is not set (the embedded demo
/// checkpoint of <c>SanaSprint.Inference.Demo</c>, registered by its <c>AddSanaSprintDemo</c>). Without one, an unset
/// path leaves the generator unavailable with a reason that says which setting is missing.
/// </summary>
/// <remarks>Implementations are thread-safe: several loads may ask for the folders at once.</remarks>
public interface IDefaultCheckpoint
{
    /// <summary>The model name shown while this checkpoint is in use.</summary>
    string ModelName { get; }

    /// <summary>A sentence for the UI banner saying what this checkpoint is and how to use a real one.</summary>
    string Notice { get; }

    /// <summary>Returns the checkpoint's folders under <paramref name="cacheDirectory"/>, writing them first if needed.</summary>
    /// <param name="cacheDirectory">The cache folder (<see cref="InferenceOptions.ResolveCacheDirectory"/>).</param>
    /// <returns>The folders; the loader reads them exactly like a configured checkpoint.</returns>
    /// <exception cref="IOException">The folder cannot be written.</exception>
    CheckpointPaths EnsureCreated(string cacheDirectory);
}
