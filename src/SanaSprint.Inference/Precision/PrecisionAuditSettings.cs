namespace SanaSprint.Inference.Precision;

/// <summary>What <see cref="PrecisionAudit.Run"/> audits and with which frames.</summary>
public sealed record PrecisionAuditSettings
{
    /// <summary>The SANA-Sprint pipeline folder (<c>model_index.json</c>).</summary>
    public required string PipelineDirectory { get; init; }

    /// <summary>A Sana ControlNet folder; null audits without ControlNet frames.</summary>
    public string? ControlNetDirectory { get; init; }

    /// <summary>Cache folder (graphs of the normal run; the tapped graphs go to a scratch folder under it, removed after).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Frame width in pixels.</summary>
    public int Width { get; init; } = 1024;

    /// <summary>Frame height in pixels.</summary>
    public int Height { get; init; } = 1024;

    /// <summary>The prompts; every one runs with every seed in every mode.</summary>
    public IReadOnlyList<string> Prompts { get; init; } =
    [
        "a red house under a yellow sun on green grass, watercolour",
        "a portrait of an old fisherman, dramatic light, oil painting",
        "neon city street at night in the rain, highly detailed photograph",
    ];

    /// <summary>The seeds.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0, 1];

    /// <summary>sCM steps per frame (2: both timesteps of the two-step schedule).</summary>
    public int Steps { get; init; } = 2;

    /// <summary>CPU threads per session (0: ONNX Runtime's default).</summary>
    public int Threads { get; init; }
}
