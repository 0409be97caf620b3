using SanaSprint.Inference.Models;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// The weights of one part of a tiny autoencoder, opened as a <see cref="SafetensorsCheckpoint"/> whatever their format:
/// a <c>.safetensors</c> file is used as it is; a PyTorch <c>.pth</c> (as madebyollin/taesd publishes them) is read with
/// <see cref="TorchCheckpoint"/>, checked against <see cref="TinyAutoencoder.Parameters(TinyAutoencoderPart, long)"/> (errors name the <c>.pth</c>),
/// and converted to a temporary safetensors file with the same keys and dtypes, deleted on disposal.
/// </summary>
/// <remarks>
/// A TAESana checkpoint is a folder holding <c>taesana_encoder.pth</c> and <c>taesana_decoder.pth</c> (or
/// <c>.safetensors</c>; any <c>*_encoder</c> / <c>*_decoder</c> stem is accepted when it is the only one), or one part's
/// file itself.
/// </remarks>
public sealed class TinyAutoencoderCheckpoint : IDisposable
{
    private static readonly string[] Extensions = [".safetensors", ".pth"];

    private readonly string? _converted;

    private TinyAutoencoderCheckpoint(string sourcePath, SafetensorsCheckpoint weights, string? converted)
    {
        SourcePath = sourcePath;
        Weights = weights;
        _converted = converted;
    }

    /// <summary>The file the weights came from (<c>.pth</c> or <c>.safetensors</c>).</summary>
    public string SourcePath { get; }

    /// <summary>The weights, as safetensors.</summary>
    public SafetensorsCheckpoint Weights { get; }

    /// <summary>True when <paramref name="path"/> is a tiny-autoencoder weights file (<c>.pth</c>, or a
    /// <c>.safetensors</c> whose stem ends in <c>_encoder</c>/<c>_decoder</c>) or a folder without <c>config.json</c> that
    /// holds one.</summary>
    public static bool IsCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
            return TorchCheckpoint.IsTorchFile(path) || (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && PartOfName(path) is not null);
        if (!Directory.Exists(path) || File.Exists(Path.Combine(path, "config.json"))) return false;
        return Candidates(path, TinyAutoencoderPart.Encoder).Count > 0 || Candidates(path, TinyAutoencoderPart.Decoder).Count > 0;
    }

    /// <summary>The part a file name names (<c>taesana_decoder.pth</c> → decoder), or <c>null</c>.</summary>
    public static TinyAutoencoderPart? PartOfName(string path)
    {
        string stem = Path.GetFileNameWithoutExtension(path);
        if (stem.EndsWith("encoder", StringComparison.OrdinalIgnoreCase)) return TinyAutoencoderPart.Encoder;
        if (stem.EndsWith("decoder", StringComparison.OrdinalIgnoreCase)) return TinyAutoencoderPart.Decoder;
        return null;
    }

    /// <summary>
    /// Finds a part's weights file: <paramref name="checkpoint"/> itself when it is a file, else in the folder
    /// <c>taesana_{part}.safetensors</c>, then <c>taesana_{part}.pth</c>, then a single <c>*_{part}.safetensors</c> or
    /// <c>*_{part}.pth</c>.
    /// </summary>
    /// <exception cref="CheckpointException">Nothing found, or several candidates.</exception>
    public static string FindWeights(string checkpoint, TinyAutoencoderPart part)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (File.Exists(checkpoint)) return checkpoint;
        if (!Directory.Exists(checkpoint)) throw new CheckpointException(checkpoint, null, "file not found.");
        foreach (var ext in Extensions)
        {
            string p = Path.Combine(checkpoint, TinyAutoencoder.FileStem(part) + ext);
            if (File.Exists(p)) return p;
        }
        var found = Candidates(checkpoint, part);
        string name = part.ToString().ToLowerInvariant();
        return found.Count switch
        {
            1 => found[0],
            0 => throw new CheckpointException(checkpoint, null,
                $"file not found: no {TinyAutoencoder.FileStem(part)}.safetensors or .pth (nor another *_{name} weights file) in this folder."),
            _ => throw new CheckpointException(checkpoint, null,
                $"has several {name} weights files ({string.Join(", ", found.Select(Path.GetFileName))}); pass one file."),
        };
    }

    private static List<string> Candidates(string folder, TinyAutoencoderPart part)
    {
        string suffix = "_" + part.ToString().ToLowerInvariant();
        foreach (var ext in Extensions)
        {
            var files = Directory.GetFiles(folder, "*" + suffix + ext).Order(StringComparer.Ordinal).ToList();
            if (files.Count > 0) return files;
        }
        return [];
    }

    /// <summary>Opens a part's weights from a folder or a file (see <see cref="FindWeights"/>).</summary>
    /// <param name="checkpoint">A folder or one weights file.</param>
    /// <param name="part">The part.</param>
    /// <param name="conversionDirectory">Where a <c>.pth</c> is converted (default: the temp folder).</param>
    /// <exception cref="CheckpointException">Missing or corrupt file, or weights that are not this part's (named file,
    /// tensor and expected shape).</exception>
    public static TinyAutoencoderCheckpoint Open(string checkpoint, TinyAutoencoderPart part, string? conversionDirectory = null)
    {
        string file = FindWeights(checkpoint, part);
        if (!TorchCheckpoint.IsTorchFile(file))
            return new TinyAutoencoderCheckpoint(file, SafetensorsCheckpoint.Open(file), null);

        var torch = TorchCheckpoint.Load(file);
        Check(torch, part);
        string dir = conversionDirectory ?? Path.GetTempPath();
        Directory.CreateDirectory(dir);
        string converted = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(file)}-{Guid.NewGuid():N}.safetensors");
        try
        {
            torch.WriteSafetensors(converted);
            return new TinyAutoencoderCheckpoint(file, SafetensorsCheckpoint.Open(converted), converted);
        }
        catch
        {
            TryDelete(converted);
            throw;
        }
    }

    /// <summary>Checks a state dict against the part's parameters: every key present with its shape and a floating dtype,
    /// no other key. The widths are the ones the file's own conv weights declare (taesd's layer order with any channel
    /// counts, see <see cref="TinyAutoencoder.Parameters(TinyAutoencoderPart, long, Func{int, long, long})"/>).</summary>
    /// <exception cref="CheckpointException">The first mismatch, naming the file and the tensor.</exception>
    public static void Check(TorchCheckpoint torch, TinyAutoencoderPart part)
    {
        ArgumentNullException.ThrowIfNull(torch);
        var expected = TinyAutoencoder.ParametersFromShapes(part, key => torch.Get(key).Shape, torch.Path);
        foreach (var p in expected)
        {
            var t = torch.Get(p.Key);
            if (!t.Shape.AsSpan().SequenceEqual(p.Shape))
                throw new CheckpointException(torch.Path, p.Key,
                    $"has shape {t.ShapeText}; expected {SafetensorsTensorInfo.FormatShape(p.Shape)} (taesd F32{part}).");
            if (t.DType == SafetensorsDType.I64)
                throw new CheckpointException(torch.Path, p.Key, "has dtype int64; expected a floating type (float32, float16, bfloat16).");
        }
        var names = expected.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        if (part == TinyAutoencoderPart.Decoder && torch.Tensors.ContainsKey(TinyAutoencoder.LatentScaleKey))
        {
            var scale = torch.Get(TinyAutoencoder.LatentScaleKey);
            if (!scale.Shape.AsSpan().SequenceEqual([1L]))
                throw new CheckpointException(torch.Path, TinyAutoencoder.LatentScaleKey, $"has shape {scale.ShapeText}; expected [1] (the decoder's input scale).");
            names.Add(TinyAutoencoder.LatentScaleKey);
        }
        var unexpected = torch.Tensors.Keys.Where(k => !names.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
            throw new CheckpointException(torch.Path, unexpected[0],
                $"is unexpected: the {part.ToString().ToLowerInvariant()} has no parameter of this name{(unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more)" : "")}.");
    }

    /// <summary>Unmaps the weights and deletes a converted file.</summary>
    public void Dispose()
    {
        Weights.Dispose();
        if (_converted is not null) TryDelete(_converted);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
