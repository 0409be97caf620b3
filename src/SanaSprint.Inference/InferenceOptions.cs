using System.ComponentModel.DataAnnotations;

namespace SanaSprint.Inference;

/// <summary>Model paths and runtime settings, bound from the <c>Inference</c> configuration section.</summary>
public sealed class InferenceOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Inference";

    /// <summary>A SANA-Sprint diffusers pipeline folder (with <c>model_index.json</c>).</summary>
    /// <remarks>Defaults to <c>null</c>: the embedded demo checkpoint is used.</remarks>
    public string? CheckpointPath { get; set; }

    /// <summary>A Sana ControlNet diffusers folder; enables the ControlNet guidance mode.</summary>
    /// <remarks>Defaults to <c>null</c>.</remarks>
    public string? ControlNetPath { get; set; }

    /// <summary>Execution provider: <c>auto</c> (CUDA when present, else CPU), <c>cuda</c> or <c>cpu</c>.</summary>
    /// <remarks>Defaults to <c>auto</c>.</remarks>
    [RegularExpression("^(auto|cuda|cpu)$")]
    public string Device { get; set; } = "auto";

    /// <summary>CUDA device id.</summary>
    /// <remarks>Defaults to <c>0</c>.</remarks>
    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>Folder for built ONNX graphs, converted weights and the generated demo checkpoint.</summary>
    /// <remarks>Defaults to <c>null</c>: <c>~/.cache/sanasprint</c>.</remarks>
    public string? CacheDirectory { get; set; }

    /// <summary>Threads per ONNX Runtime session on CPU (0 = ONNX Runtime's default).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>Resolved cache folder.</summary>
    public string ResolveCacheDirectory() =>
        string.IsNullOrWhiteSpace(CacheDirectory)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sanasprint")
            : Path.GetFullPath(CacheDirectory);
}
