namespace SanaSprint.Inference.Demo;

/// <summary>The embedded demo checkpoint: a tiny random-weight SANA-Sprint-architecture pipeline generated on first start.</summary>
public static class DemoCheckpoint
{
    /// <summary>The UI banner text shown while the demo checkpoint is in use.</summary>
    public const string Notice =
        "Demo model: a tiny SANA-Sprint-architecture network with random weights, so frames are abstract patterns, not pictures. " +
        "To use SANA-Sprint, download Efficient-Large-Model/Sana_Sprint_0.6B_1024px_diffusers and set Inference:CheckpointPath (or --checkpoint) to that folder.";
}
