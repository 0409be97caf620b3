using System.Text.Json;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// The weights of one component: a single <c>.safetensors</c> file or a sharded set listed by a
/// <c>*.safetensors.index.json</c> (<c>weight_map</c>: tensor name → shard file). Maps every tensor name to the
/// file that holds it and checks tensors against what a model expects.
/// </summary>
/// <remarks>Every file is opened through <see cref="SafetensorsFile.Open"/> and so validated as untrusted input.</remarks>
public sealed class SafetensorsCheckpoint : IDisposable
{
    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _byName;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private SafetensorsCheckpoint(string path, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> byName)
    {
        Path = path;
        _files = files;
        _byName = byName;
    }

    /// <summary>The path the checkpoint was opened from (file, index or folder).</summary>
    public string Path { get; }

    /// <summary>The files, in shard order.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>All tensor names.</summary>
    public IEnumerable<string> Names => _byName.Keys;

    /// <summary>
    /// Opens a checkpoint from a <c>.safetensors</c> file, a <c>*.safetensors.index.json</c>, or a component folder
    /// (which must hold exactly one index, or else exactly one <c>.safetensors</c> file).
    /// </summary>
    /// <exception cref="CheckpointException">Missing or ambiguous files, a bad index, or a bad shard.</exception>
    public static SafetensorsCheckpoint Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            return Open(FindWeights(path));
        if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase))
            return OpenIndex(path);
        var file = SafetensorsFile.Open(path);
        var byName = file.Tensors.Keys.ToDictionary(k => k, _ => file, StringComparer.Ordinal);
        return new SafetensorsCheckpoint(path, [file], byName);
    }

    /// <summary>Finds the weights file of a component folder (index first, then a single safetensors file).</summary>
    /// <exception cref="CheckpointException">None or several candidates.</exception>
    public static string FindWeights(string folder)
    {
        var indexes = Directory.GetFiles(folder, "*.safetensors.index.json");
        if (indexes.Length == 1) return indexes[0];
        if (indexes.Length > 1)
            throw new CheckpointException(folder, null, $"has several shard indexes ({string.Join(", ", indexes.Select(System.IO.Path.GetFileName))}).");
        var files = Directory.GetFiles(folder, "*.safetensors");
        if (files.Length == 1) return files[0];
        // diffusers' own names win when variants (e.g. .fp16.safetensors) sit beside them.
        foreach (var preferred in new[] { "diffusion_pytorch_model.safetensors", "model.safetensors" })
        {
            var p = System.IO.Path.Combine(folder, preferred);
            if (File.Exists(p)) return p;
        }
        throw new CheckpointException(folder, null, files.Length == 0
            ? "file not found: no *.safetensors or *.safetensors.index.json in this folder."
            : $"has several safetensors files and no index ({string.Join(", ", files.Select(System.IO.Path.GetFileName))}).");
    }

    private static SafetensorsCheckpoint OpenIndex(string indexPath)
    {
        if (!File.Exists(indexPath))
            throw new CheckpointException(indexPath, null, "file not found.");
        Dictionary<string, string> weightMap = new(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(indexPath, null, "corrupt index: no 'weight_map' object.");
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new CheckpointException(indexPath, p.Name, "has a non-string shard name in 'weight_map'.");
                weightMap[p.Name] = p.Value.GetString()!;
            }
        }
        catch (JsonException ex)
        {
            throw new CheckpointException(indexPath, null, $"corrupt index: not valid JSON ({ex.Message}).", ex);
        }

        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(indexPath))!;
        var files = new List<SafetensorsFile>();
        var byShard = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var shard in weightMap.Values.Distinct().Order(StringComparer.Ordinal))
            {
                if (System.IO.Path.IsPathRooted(shard) || shard.Contains("..", StringComparison.Ordinal))
                    throw new CheckpointException(indexPath, null, $"corrupt index: shard '{shard}' is not a plain relative file name.");
                var f = SafetensorsFile.Open(System.IO.Path.Combine(dir, shard));
                files.Add(f);
                byShard[shard] = f;
            }
            var byName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (name, shard) in weightMap)
            {
                var f = byShard[shard];
                if (!f.Contains(name))
                    throw new CheckpointException(f.Path, name, $"is missing (listed for this shard in {System.IO.Path.GetFileName(indexPath)}).");
                byName[name] = f;
            }
            return new SafetensorsCheckpoint(indexPath, files, byName);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    /// <summary>True when a tensor of this name exists.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The file holding a tensor.</summary>
    /// <exception cref="CheckpointException">No such tensor (the message names the checkpoint).</exception>
    public SafetensorsFile FileOf(string name) =>
        _byName.TryGetValue(name, out var f) ? f : throw new CheckpointException(Path, name, "is missing.");

    /// <summary>The header entry of a tensor.</summary>
    /// <exception cref="CheckpointException">No such tensor.</exception>
    public SafetensorsTensorInfo GetInfo(string name) => FileOf(name).GetInfo(name);

    /// <summary>
    /// Looks a tensor up for a model, checking its shape and dtype, and records it as used
    /// (see <see cref="UnusedNames"/>).
    /// </summary>
    /// <param name="name">The tensor key.</param>
    /// <param name="expectedShape">The shape the model needs.</param>
    /// <param name="because">How the expected shape follows from the config, for the error message.</param>
    /// <exception cref="CheckpointException">Missing tensor, wrong shape or unsupported dtype.</exception>
    public SafetensorsTensorInfo Require(string name, ReadOnlySpan<long> expectedShape, string? because = null)
    {
        var file = FileOf(name);
        var info = file.GetInfo(name);
        if (!info.Shape.AsSpan().SequenceEqual(expectedShape))
        {
            string why = because is null ? "" : $" ({because})";
            throw new CheckpointException(file.Path, name,
                $"has shape {info.ShapeText}; expected {SafetensorsTensorInfo.FormatShape(expectedShape.ToArray())}{why}.");
        }
        file.GetDType(name);
        _used.Add(name);
        return info;
    }

    /// <summary>Names never passed to <see cref="Require"/>, in order.</summary>
    public IReadOnlyList<string> UnusedNames => _byName.Keys.Where(n => !_used.Contains(n)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Fails when the checkpoint holds tensors the model did not use.</summary>
    /// <exception cref="CheckpointException">At least one unexpected tensor (the first few are named).</exception>
    public void EnsureAllUsed()
    {
        var unused = UnusedNames;
        if (unused.Count == 0) return;
        string first = unused[0];
        string more = unused.Count > 1 ? $" (and {unused.Count - 1} more: {string.Join(", ", unused.Skip(1).Take(5))}{(unused.Count > 6 ? ", ..." : "")})" : "";
        throw new CheckpointException(FileOf(first).Path, first, $"is unexpected: the model has no parameter of this name{more}.");
    }

    /// <summary>Converts a floating tensor to a new float32 array.</summary>
    /// <exception cref="CheckpointException">Missing tensor or non-floating dtype.</exception>
    public float[] ReadFloat32(string name) => FileOf(name).ReadFloat32(name);

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
