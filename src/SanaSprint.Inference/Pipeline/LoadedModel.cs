namespace SanaSprint.Inference.Pipeline;

/// <summary>A loaded model and the default checkpoint it came from, if any.</summary>
/// <param name="Components">The resident components.</param>
/// <param name="DefaultCheckpoint">The default checkpoint (the embedded demo) when no checkpoint path was configured; else null.</param>
public sealed record LoadedModel(ISanaSprintComponents Components, Checkpoints.IDefaultCheckpoint? DefaultCheckpoint)
{
    /// <summary>Why CUDA is not used although <c>Inference:Device = auto</c> asked for it (null otherwise).</summary>
    public string? ProviderNote { get; init; }
}
