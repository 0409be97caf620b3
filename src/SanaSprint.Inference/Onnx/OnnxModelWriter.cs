using System.Runtime.InteropServices;
using Google.Protobuf;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx.Proto;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Onnx;

/// <summary>Where a saved graph's weights live.</summary>
public enum WeightStorage
{
    /// <summary>Every weight is written (converted if needed) into one data file beside the graph: a standalone export.</summary>
    SingleFile,

    /// <summary>
    /// Weights whose checkpoint dtype equals the graph's type are referenced straight inside the <c>.safetensors</c>
    /// file (offset = 8 + header length + begin), which is hard-linked into the graph's folder (a copy across volumes;
    /// never a symbolic link) because ONNX Runtime only accepts locations inside the model folder. Other weights are
    /// converted into one data file beside the graph.
    /// </summary>
    ReferenceCheckpoint,
}

/// <summary>Progress of a graph build or save.</summary>
/// <param name="Stage">What is happening (<c>building graph</c>, <c>writing weights</c>, ...).</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the stage.</param>
public sealed record GraphBuildProgress(string Stage, long Done, long Total)
{
    /// <summary>Fraction done in [0, 1].</summary>
    public double Fraction => Total <= 0 ? 1 : Math.Clamp((double)Done / Total, 0, 1);
}

/// <summary>What <see cref="OnnxModelWriter.Save"/> wrote.</summary>
/// <param name="ModelPath">The <c>.onnx</c> file.</param>
/// <param name="DataPath">The converted-weights file, or <c>null</c> when none was needed.</param>
/// <param name="ReferencedFiles">Files referenced in place (linked checkpoint files), with how they got into the folder.</param>
/// <param name="GraphBytes">Size of the <c>.onnx</c> file.</param>
/// <param name="DataBytes">Size of the converted-weights file.</param>
public sealed record SavedModel(string ModelPath, string? DataPath, IReadOnlyDictionary<string, string> ReferencedFiles, long GraphBytes, long DataBytes);

/// <summary>Serialises a <see cref="GraphBuilder"/> to an <c>.onnx</c> file with its weights as ONNX external data.</summary>
public static class OnnxModelWriter
{
    /// <summary>Alignment of tensors in a converted-weights file (lets ONNX Runtime memory-map them).</summary>
    public const int DataAlignment = 4096;

    /// <summary>Writes the graph and its weights.</summary>
    /// <param name="builder">The finished graph.</param>
    /// <param name="modelPath">The <c>.onnx</c> file to write; its folder is created.</param>
    /// <param name="storage">Where weights go.</param>
    /// <param name="progress">Receives <c>writing weights</c> progress in bytes.</param>
    /// <param name="metadata">Extra <c>metadata_props</c> entries.</param>
    /// <param name="cancellationToken">Cancels between tensors.</param>
    public static SavedModel Save(GraphBuilder builder, string modelPath, WeightStorage storage,
        IProgress<GraphBuildProgress>? progress = null, IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(modelPath);
        modelPath = Path.GetFullPath(modelPath);
        string dir = Path.GetDirectoryName(modelPath)!;
        Directory.CreateDirectory(dir);
        string dataName = Path.GetFileName(modelPath) + ".data";
        string dataPath = Path.Combine(dir, dataName);

        var graph = builder.Graph.Clone();
        var linked = new Dictionary<string, string>(StringComparer.Ordinal); // checkpoint file → location
        var linkKinds = new Dictionary<string, string>(StringComparer.Ordinal);
        long total = builder.Weights.Sum(w => w.Info.ElementCount * w.Type.Size());
        long done = 0;
        FileStream? data = null;
        try
        {
            foreach (var w in builder.Weights)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var tensor = new TensorProto { Name = w.Name, DataType = (int)w.Type, DataLocation = TensorProto.Types.DataLocation.External };
                tensor.Dims.AddRange(w.Info.Shape);
                var srcType = w.File.GetDType(w.Key);
                bool same = SameType(srcType, w.Type);
                string location;
                long offset, length;
                if (storage == WeightStorage.ReferenceCheckpoint && same)
                {
                    if (!linked.TryGetValue(w.File.Path, out location!))
                    {
                        location = $"checkpoint{linked.Count}_{Path.GetFileName(w.File.Path)}";
                        linkKinds[location] = FileLinker.LinkOrCopy(w.File.Path, Path.Combine(dir, location));
                        linked[w.File.Path] = location;
                    }
                    offset = w.Info.DataStart;
                    length = w.Info.ByteLength;
                }
                else
                {
                    data ??= new FileStream(dataPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                    long pad = (DataAlignment - data.Position % DataAlignment) % DataAlignment;
                    if (pad > 0) data.Write(new byte[pad]);
                    offset = data.Position;
                    WriteConverted(w, srcType, data);
                    length = data.Position - offset;
                    location = dataName;
                }
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                graph.Initializer.Add(tensor);
                done += w.Info.ElementCount * w.Type.Size();
                progress?.Report(new GraphBuildProgress("writing weights", done, total));
            }
        }
        finally
        {
            data?.Dispose();
        }
        if (data is null && File.Exists(dataPath)) File.Delete(dataPath);

        var model = new ModelProto
        {
            IrVersion = GraphBuilder.IrVersion,
            ProducerName = "SanaSprint",
            ProducerVersion = typeof(OnnxModelWriter).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = GraphBuilder.Opset });
        if (graph.Node.Any(n => n.Domain == GraphBuilder.MicrosoftDomain))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphBuilder.MicrosoftDomain, Version = 1 });
        if (metadata is not null)
            foreach (var (k, v) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        using (var f = new FileStream(modelPath, FileMode.Create, FileAccess.Write))
            model.WriteTo(f);

        return new SavedModel(modelPath, data is null ? null : dataPath, linkKinds, new FileInfo(modelPath).Length,
            data is null ? 0 : new FileInfo(dataPath).Length);
    }

    private static bool SameType(SafetensorsDType src, DT dst) =>
        (src, dst) is (SafetensorsDType.F32, DT.Float) or (SafetensorsDType.F16, DT.Float16) or (SafetensorsDType.BF16, DT.Bfloat16);

    private static unsafe void WriteConverted(WeightReference w, SafetensorsDType src, Stream output)
    {
        // Streams in chunks so peak memory stays near one chunk, whatever the tensor size.
        const int chunk = 1 << 20;
        byte* p = w.File.GetPointer(w.Key);
        long count = w.Info.ElementCount;
        var floats = new float[Math.Min(chunk, count)];
        var bytes = new byte[floats.Length * w.Type.Size()];
        for (long start = 0; start < count; start += chunk)
        {
            int n = (int)Math.Min(chunk, count - start);
            if (SameType(src, w.Type))
            {
                int es = w.Type.Size();
                output.Write(new ReadOnlySpan<byte>(p + start * es, n * es));
                continue;
            }
            SafetensorsFile.ConvertToFloat32(src, p + start * src.ElementSize(), floats.AsSpan(0, n), w.File.Path, w.Key);
            switch (w.Type)
            {
                case DT.Float:
                    output.Write(MemoryMarshal.AsBytes(floats.AsSpan(0, n)));
                    break;
                case DT.Float16:
                    var halves = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan(0, n * 2));
                    for (int i = 0; i < n; i++) halves[i] = (Half)floats[i];
                    output.Write(bytes.AsSpan(0, n * 2));
                    break;
                default:
                    throw new NotSupportedException($"Converting weights to {w.Type} is not supported.");
            }
        }
    }
}

/// <summary>Puts a file into a folder without copying it where the file system allows.</summary>
public static partial class FileLinker
{
    /// <summary>Creates <paramref name="destination"/> as a hard link to <paramref name="source"/>, else a copy (different
    /// volumes). Returns <c>hardlink</c> or <c>copy</c>. Symbolic links are never used: ONNX Runtime resolves them and
    /// rejects external data whose target lies outside the model folder ("External data path escapes model directory").</summary>
    public static string LinkOrCopy(string source, string destination)
    {
        source = Path.GetFullPath(source);
        if (File.Exists(destination)) File.Delete(destination);
        if (TryHardLink(source, destination)) return "hardlink";
        File.Copy(source, destination, overwrite: true);
        return "copy";
    }

    private static bool TryHardLink(string source, string destination)
    {
        try
        {
            if (OperatingSystem.IsWindows())
                return CreateHardLinkW(destination, source, IntPtr.Zero);
            return link(source, destination) == 0;
        }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("kernel32.dll", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateHardLinkW(string lpFileName, string lpExistingFileName, IntPtr lpSecurityAttributes);
}
