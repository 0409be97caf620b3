using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SanaSprint.Inference.Onnx;

/// <summary>A graph found in or added to the cache.</summary>
/// <param name="ModelPath">The <c>.onnx</c> file (its external data lies beside it).</param>
/// <param name="Key">The cache key (hex).</param>
/// <param name="FromCache">True when no build was needed.</param>
public sealed record CachedGraph(string ModelPath, string Key, bool FromCache);

/// <summary>
/// On-disk cache of built graphs: <c>{cache}/graphs/{name}-{key}/model.onnx</c>, where the key hashes the checkpoint's
/// content (every file the build reads), the build options and the builder assembly's identity, so a second start
/// finds the graph without rebuilding and any change to weights, options or code builds a new one.
/// </summary>
/// <remarks>
/// Content hashes are SHA-256 over whole files, computed once per file and remembered under <c>{cache}/hashes</c>
/// keyed by full path, size and last-write time, so a second start only stats the files. Entries are built in a
/// temporary folder and renamed into place, so a crash never leaves a half-written graph that looks complete.
/// </remarks>
public sealed class GraphCache
{
    /// <summary>Creates a cache rooted at <paramref name="cacheDirectory"/> (created on demand).</summary>
    public GraphCache(string cacheDirectory)
    {
        ArgumentNullException.ThrowIfNull(cacheDirectory);
        Root = Path.GetFullPath(cacheDirectory);
    }

    /// <summary>The cache folder.</summary>
    public string Root { get; }

    /// <summary>
    /// Returns the cached graph for these inputs, building it with <paramref name="build"/> (which must write
    /// the <c>.onnx</c> file at the path it is given) when absent.
    /// </summary>
    /// <param name="name">Readable prefix of the entry folder, e.g. <c>transformer</c>.</param>
    /// <param name="inputFiles">Every file the build reads (configs and weights).</param>
    /// <param name="options">The build options, as a canonical string (precision, control blocks, wiring, ...).</param>
    /// <param name="build">Builds the graph at the given model path.</param>
    /// <param name="progress">Receives <c>hashing</c> progress.</param>
    public CachedGraph GetOrBuild(string name, IEnumerable<string> inputFiles, string options, Action<string> build,
        IProgress<GraphBuildProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        string key = ComputeKey(inputFiles, options, progress);
        string entry = Path.Combine(Root, "graphs", $"{Sanitize(name)}-{key[..24]}");
        string model = Path.Combine(entry, "model.onnx");
        if (File.Exists(model))
            return new CachedGraph(model, key, FromCache: true);

        string temp = entry + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(temp);
        try
        {
            build(Path.Combine(temp, "model.onnx"));
            File.WriteAllText(Path.Combine(temp, "key.txt"), key + "\n" + options + "\n");
            try
            {
                Directory.Move(temp, entry);
            }
            catch (IOException) when (File.Exists(model))
            {
                // Another process finished the same entry first; theirs is equivalent.
                Directory.Delete(temp, recursive: true);
            }
        }
        catch
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { }
            throw;
        }
        return new CachedGraph(model, key, FromCache: false);
    }

    /// <summary>The cache key: SHA-256 over the content hashes of the inputs (in order), the options, and the identity
    /// of the assembly that builds graphs.</summary>
    public string ComputeKey(IEnumerable<string> inputFiles, string options, IProgress<GraphBuildProgress>? progress = null)
    {
        var files = inputFiles.Select(Path.GetFullPath).ToList();
        var sb = new StringBuilder();
        sb.Append("builder=").Append(typeof(GraphCache).Assembly.ManifestModule.ModuleVersionId).Append('\n');
        sb.Append("options=").Append(options).Append('\n');
        for (int i = 0; i < files.Count; i++)
        {
            sb.Append(Path.GetFileName(files[i])).Append('=').Append(ContentHash(files[i])).Append('\n');
            progress?.Report(new GraphBuildProgress("hashing", i + 1, files.Count));
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()))).ToLowerInvariant();
    }

    /// <summary>SHA-256 of a file's content, remembered by (path, size, last-write time).</summary>
    public string ContentHash(string file)
    {
        var info = new FileInfo(file);
        if (!info.Exists) throw new FileNotFoundException($"{file}: file not found.", file);
        string stamp = string.Create(CultureInfo.InvariantCulture, $"{info.Length}|{info.LastWriteTimeUtc.Ticks}");
        string memoDir = Path.Combine(Root, "hashes");
        string memo = Path.Combine(memoDir, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(info.FullName)))[..32] + ".txt");
        if (File.Exists(memo))
        {
            var parts = File.ReadAllText(memo).Split('\n');
            if (parts.Length >= 2 && parts[0] == stamp) return parts[1];
        }
        string hash;
        using (var s = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
            hash = Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
        Directory.CreateDirectory(memoDir);
        File.WriteAllText(memo, stamp + "\n" + hash + "\n" + info.FullName + "\n");
        return hash;
    }

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
