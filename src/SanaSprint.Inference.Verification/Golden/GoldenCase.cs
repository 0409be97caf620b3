using System.Text.Json;
using SanaSprint.Inference.Checkpoints;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// One case folder of <c>shared/golden</c>: <c>golden.safetensors</c> (<c>in.*</c> inputs, <c>out.*</c> outputs),
/// <c>meta.json</c>, and the component's own files, which are loaded exactly like a real checkpoint.
/// </summary>
public sealed class GoldenCase : IDisposable
{
    private readonly SafetensorsFile _file;

    private GoldenCase(string directory, SafetensorsFile file, JsonDocument? meta)
    {
        Directory = directory;
        _file = file;
        Meta = meta;
    }

    /// <summary>The case folder.</summary>
    public string Directory { get; }

    /// <summary>Case name (the folder name; for display only).</summary>
    public string Name => Path.GetFileName(Directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));

    /// <summary>Parsed <c>meta.json</c>, or <c>null</c> when absent.</summary>
    public JsonDocument? Meta { get; }

    /// <summary>All tensor keys.</summary>
    public IEnumerable<string> Keys => _file.Tensors.Keys.Order(StringComparer.Ordinal);

    /// <summary>Input keys (<c>in.*</c>).</summary>
    public IEnumerable<string> InputKeys => Keys.Where(k => k.StartsWith("in.", StringComparison.Ordinal));

    /// <summary>Output keys (<c>out.*</c>).</summary>
    public IEnumerable<string> OutputKeys => Keys.Where(k => k.StartsWith("out.", StringComparison.Ordinal));

    /// <summary>True when the case folder has <c>golden.safetensors</c>.</summary>
    public static bool IsCase(string directory) => File.Exists(Path.Combine(directory, "golden.safetensors"));

    /// <summary>Opens a case folder.</summary>
    /// <exception cref="CheckpointException">Missing or malformed <c>golden.safetensors</c>.</exception>
    public static GoldenCase Open(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var file = SafetensorsFile.Open(Path.Combine(directory, "golden.safetensors"));
        string metaPath = Path.Combine(directory, "meta.json");
        JsonDocument? meta = File.Exists(metaPath) ? JsonDocument.Parse(File.ReadAllBytes(metaPath)) : null;
        return new GoldenCase(Path.GetFullPath(directory), file, meta);
    }

    /// <summary>True when the tensor exists.</summary>
    public bool Contains(string key) => _file.Contains(key);

    /// <summary>Reads one tensor.</summary>
    /// <exception cref="CheckpointException">Missing tensor or unsupported dtype.</exception>
    public GoldenTensor Read(string key)
    {
        var info = _file.GetInfo(key);
        return _file.GetDType(key) == SafetensorsDType.I64
            ? new GoldenTensor(key, info.Shape, null, _file.ReadInt64(key))
            : new GoldenTensor(key, info.Shape, _file.ReadFloat32(key), null);
    }

    /// <summary>The ONNX graph name of a golden key: drop <c>in.</c>/<c>out.</c>, replace <c>.</c> by <c>_</c>
    /// (<c>in.controlnet_block_samples.0</c> → <c>controlnet_block_samples_0</c>).</summary>
    public static string GraphName(string key)
    {
        string k = key.StartsWith("in.", StringComparison.Ordinal) ? key[3..] : key.StartsWith("out.", StringComparison.Ordinal) ? key[4..] : key;
        return k.Replace('.', '_');
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        _file.Dispose();
        Meta?.Dispose();
    }
}
