using System.ComponentModel.DataAnnotations;

namespace SanaSprint.Inference;

/// <summary>Model paths and runtime settings, bound from the <c>Inference</c> configuration section.</summary>
public sealed class InferenceOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Inference";

    /// <summary>A SANA-Sprint diffusers pipeline folder (with <c>model_index.json</c>).</summary>
    /// <remarks>
    /// Defaults to <c>null</c>: the host's default checkpoint is used (the embedded demo, registered by
    /// <c>AddSanaSprintDemo</c> in the web app and passed by the CLI).
    /// </remarks>
    public string? CheckpointPath { get; set; }

    /// <summary>A Sana ControlNet diffusers folder; enables the ControlNet guidance mode.</summary>
    /// <remarks>Defaults to <c>null</c>.</remarks>
    public string? ControlNetPath { get; set; }

    /// <summary>
    /// A tiny preview autoencoder for live frames: a TAESana folder holding <c>taesana_encoder</c> and
    /// <c>taesana_decoder</c> weights (<c>.pth</c> as madebyollin/taesd publishes them, or <c>.safetensors</c>), or the two
    /// files as <c>ENCODER;DECODER</c>, or <c>none</c>. Frames asked for with <c>FrameDecoder.Preview</c> decode with it
    /// (and, in ControlNet mode, encode their sketch with it); the others use the checkpoint's DC-AE.
    /// </summary>
    /// <remarks>Defaults to <c>null</c>: the default checkpoint's own tiny autoencoder when the default (demo) checkpoint
    /// is in use, else the DC-AE for every frame; <c>none</c> means the DC-AE for every frame.</remarks>
    public string? PreviewDecoderPath { get; set; }

    /// <summary>Execution provider: <c>auto</c> (CUDA when present, else CPU), <c>cuda</c> or <c>cpu</c>.</summary>
    /// <remarks>Defaults to <c>auto</c>.</remarks>
    [RegularExpression("^(auto|cuda|cpu)$")]
    public string Device { get; set; } = "auto";

    /// <summary>CUDA device id.</summary>
    /// <remarks>Defaults to <c>0</c>.</remarks>
    [Range(0, 64)]
    public int DeviceId { get; set; }

    /// <summary>Folder for built ONNX graphs, converted weights and the extracted demo checkpoint.</summary>
    /// <remarks>Defaults to <c>null</c>: <c>~/.cache/sanasprint</c>.</remarks>
    public string? CacheDirectory { get; set; }

    /// <summary>Threads per ONNX Runtime session on CPU (0 = ONNX Runtime's default).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Graph precision: <c>auto</c> (fp16 graphs with fp32 islands on CUDA, fp32 on CPU), <c>fp32</c> or <c>fp16</c>.
    /// The CPU execution provider has no fp16 compute, so <c>fp16</c> only applies on CUDA.
    /// </summary>
    /// <remarks>Defaults to <c>auto</c>. Parity runs use <c>fp32</c>.</remarks>
    [RegularExpression("^(auto|fp32|fp16)$")]
    public string Precision { get; set; } = "auto";

    /// <summary>Allow TF32 tensor-core math for fp32 MatMul/Conv on CUDA (Ampere and later).</summary>
    /// <remarks>Defaults to <c>true</c>; set <c>false</c> for fp32 parity runs.</remarks>
    public bool UseTf32 { get; set; } = true;

    /// <summary>Capture and replay CUDA graphs (one per resolution and batch size) for the transformer steps.</summary>
    /// <remarks>Defaults to <c>false</c>. Needs every node on the CUDA execution provider, fixed shapes per graph and inputs
    /// refreshed in place at fixed device addresses; the binding path copies inputs when they are bound, so for now the
    /// setting is ignored with a warning at start.</remarks>
    public bool EnableCudaGraph { get; set; }

    /// <summary>CUDA memory arena limit in MiB (0 = no limit).</summary>
    /// <remarks>Defaults to <c>0</c>.</remarks>
    [Range(0, 1 << 22)]
    public int GpuMemoryLimitMiB { get; set; }

    /// <summary>
    /// Warm-up at start: 0 disables it; otherwise the load runs every frame kind the host serves (the web app: its frame
    /// size, modes, batch sizes — batches of one on the CPU provider — and step counts), or, in a host that does not say,
    /// single frames of this size in pixels.
    /// </summary>
    /// <remarks>Defaults to <c>512</c>.</remarks>
    [Range(0, 4096)]
    public int WarmupSize { get; set; } = 512;

    /// <summary>Resolved cache folder.</summary>
    public string ResolveCacheDirectory() =>
        string.IsNullOrWhiteSpace(CacheDirectory)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sanasprint")
            : Path.GetFullPath(CacheDirectory);
}
