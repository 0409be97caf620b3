using SanaSprint.Inference.Checkpoints;

namespace SanaSprint.Inference.Demo;

/// <summary>The embedded demo checkpoint as the loader's default (see <see cref="DemoCheckpoint"/>).</summary>
public sealed class EmbeddedDemoCheckpoint : IDefaultCheckpoint
{
    /// <summary>The one instance (the checkpoint is a property of this assembly).</summary>
    public static EmbeddedDemoCheckpoint Instance { get; } = new();

    private EmbeddedDemoCheckpoint()
    {
    }

    /// <inheritdoc />
    public string ModelName => DemoCheckpoint.ModelName;

    /// <inheritdoc />
    public string Notice => DemoCheckpoint.Notice;

    /// <inheritdoc />
    public CheckpointPaths EnsureCreated(string cacheDirectory) => DemoCheckpoint.EnsureCreated(cacheDirectory);
}
