using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>One tensor entry of a safetensors header.</summary>
/// <param name="Name">The tensor's key, e.g. <c>transformer_blocks.0.attn1.to_q.weight</c>.</param>
/// <param name="DTypeName">The header's dtype string (<c>F32</c>, <c>BF16</c>, ...).</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
/// <param name="Begin">Start of the data, relative to the end of the header.</param>
/// <param name="End">End of the data (exclusive), relative to the end of the header.</param>
/// <param name="DataStart">Absolute file offset of the data: 8 + header length + <paramref name="Begin"/>.</param>
public sealed record SafetensorsTensorInfo(string Name, string DTypeName, long[] Shape, long Begin, long End, long DataStart)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes of data.</summary>
    public long ByteLength => End - Begin;

    /// <summary>The dtype, or <c>null</c> when this project does not read it.</summary>
    public SafetensorsDType? DType => SafetensorsDTypes.TryParse(DTypeName, out var d) ? d : null;

    /// <summary>Shape as <c>[a, b]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}

/// <summary>
/// A memory-mapped <c>.safetensors</c> file: an 8-byte little-endian header length N, N bytes of JSON header,
/// then raw little-endian tensor data. Tensors are exposed as spans over the mapping; nothing is copied until a
/// conversion (<see cref="ReadFloat32"/>) is asked for.
/// </summary>
/// <remarks>
/// The header is untrusted input: its length is capped (<see cref="MaxHeaderBytes"/>), it must be valid JSON of the
/// documented form, and every shape, offset and length is checked against the dtype and the file size before use.
/// Any violation is a <see cref="CheckpointException"/> naming the file (and tensor). Dispose to unmap.
/// </remarks>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>Largest header accepted (100 MiB, the limit the reference safetensors library uses).</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private static readonly Dictionary<string, int> KnownElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["I16"] = 2, ["U16"] = 2, ["F16"] = 2,
        ["BF16"] = 2, ["I32"] = 4, ["U32"] = 4, ["F32"] = 4, ["F64"] = 8, ["I64"] = 8, ["U64"] = 8, ["C64"] = 8,
    };

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly Dictionary<string, SafetensorsTensorInfo> _tensors;
    private bool _disposed;

    private SafetensorsFile(string path, long fileLength, long headerLength, Dictionary<string, SafetensorsTensorInfo> tensors,
        Dictionary<string, string> metadata, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr)
    {
        Path = path;
        FileLength = fileLength;
        HeaderLength = headerLength;
        _tensors = tensors;
        Metadata = metadata;
        _map = map;
        _view = view;
        _base = basePtr;
    }

    /// <summary>The path the file was opened with.</summary>
    public string Path { get; }

    /// <summary>Total file size in bytes.</summary>
    public long FileLength { get; }

    /// <summary>N, the JSON header's length in bytes.</summary>
    public long HeaderLength { get; }

    /// <summary>Absolute offset of the data section (8 + N).</summary>
    public long DataSectionOffset => 8 + HeaderLength;

    /// <summary>The header's <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor of the header, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors => _tensors;

    /// <summary>Opens and validates a safetensors file, memory-mapping it read-only.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="CheckpointException">The file is missing, truncated, or has a corrupt header.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new CheckpointException(path, null, "file not found.");

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new CheckpointException(path, null, $"truncated file: {fileLength} bytes, fewer than the 8-byte header length.");

        Span<byte> lenBytes = stackalloc byte[8];
        stream.ReadExactly(lenBytes);
        ulong headerLen = BitConverter.ToUInt64(lenBytes); // safetensors is little-endian; so are the platforms ORT runs on
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Big-endian platforms are not supported.");
        if (headerLen > (ulong)MaxHeaderBytes)
            throw new CheckpointException(path, null, $"corrupt header: header length {headerLen} exceeds the {MaxHeaderBytes}-byte limit.");
        if ((long)headerLen > fileLength - 8)
            throw new CheckpointException(path, null, $"truncated file: header length {headerLen} but only {fileLength - 8} bytes follow.");

        var headerBytes = new byte[headerLen];
        stream.ReadExactly(headerBytes);
        var (tensors, metadata) = ParseHeader(path, headerBytes, fileLength - 8 - (long)headerLen, 8 + (long)headerLen);
        stream.Dispose();

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* basePtr = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            basePtr += view.PointerOffset;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            view?.Dispose();
            map?.Dispose();
            throw new CheckpointException(path, null, $"cannot be memory-mapped: {ex.Message}", ex);
        }
        return new SafetensorsFile(path, fileLength, (long)headerLen, tensors, metadata, map, view, basePtr);
    }

    private static (Dictionary<string, SafetensorsTensorInfo>, Dictionary<string, string>) ParseHeader(
        string path, byte[] header, long dataLength, long dataSectionOffset)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new CheckpointException(path, null, $"corrupt header: not valid JSON ({ex.Message}).", ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, null, "corrupt header: the JSON header is not an object.");

            var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new CheckpointException(path, null, "corrupt header: '__metadata__' is not an object.");
                    foreach (var m in prop.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                tensors[prop.Name] = ParseEntry(path, prop.Name, prop.Value, dataLength, dataSectionOffset);
            }
            return (tensors, metadata);
        }
    }

    private static SafetensorsTensorInfo ParseEntry(string path, string name, JsonElement e, long dataLength, long dataSectionOffset)
    {
        CheckpointException Corrupt(string what) => new(path, name, $"has a corrupt header entry: {what}.");

        if (e.ValueKind != JsonValueKind.Object)
            throw Corrupt("not an object");
        if (!e.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw Corrupt("missing 'dtype'");
        if (!e.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw Corrupt("missing 'shape'");
        if (!e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw Corrupt("'data_offsets' must be [begin, end]");

        string dtype = dtypeEl.GetString()!;
        var shape = new long[shapeEl.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw Corrupt("shape entries must be non-negative integers");
            shape[i++] = v;
            try { count = checked(count * v); }
            catch (OverflowException) { throw Corrupt("shape overflows"); }
        }

        var offs = offEl.EnumerateArray().ToArray();
        if (!offs[0].TryGetInt64(out long begin) || !offs[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Corrupt("'data_offsets' must be integers with 0 ≤ begin ≤ end");
        if (end > dataLength)
            throw new CheckpointException(path, name,
                $"lies beyond the end of the file (data_offsets end {end} > {dataLength} data bytes): truncated file.");

        if (KnownElementSizes.TryGetValue(dtype, out int size))
        {
            long expected;
            try { expected = checked(count * size); }
            catch (OverflowException) { throw Corrupt("byte size overflows"); }
            if (end - begin != expected)
                throw Corrupt($"{end - begin} bytes for shape {SafetensorsTensorInfo.FormatShape(shape)} of {dtype} (expected {expected})");
        }
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end, dataSectionOffset + begin);
    }

    /// <summary>True when the file has a tensor of this name.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The header entry of a tensor.</summary>
    /// <exception cref="CheckpointException">No tensor of that name.</exception>
    public SafetensorsTensorInfo GetInfo(string name) =>
        _tensors.TryGetValue(name, out var info) ? info : throw new CheckpointException(Path, name, "is missing.");

    /// <summary>The raw bytes of a tensor, as a span over the mapping (valid until disposal).</summary>
    /// <exception cref="CheckpointException">Missing tensor, or over 2 GiB (use <see cref="GetPointer"/>).</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var info = GetInfo(name);
        if (info.ByteLength > int.MaxValue)
            throw new CheckpointException(Path, name, $"is {info.ByteLength} bytes, too large for a span; use GetPointer.");
        return new ReadOnlySpan<byte>(GetPointer(name), (int)info.ByteLength);
    }

    /// <summary>A pointer to the first byte of a tensor's data (valid until disposal).</summary>
    /// <exception cref="CheckpointException">Missing tensor.</exception>
    public byte* GetPointer(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + GetInfo(name).DataStart;
    }

    /// <summary>The dtype of a tensor, failing for types this project does not read.</summary>
    /// <exception cref="CheckpointException">Missing tensor or unsupported dtype.</exception>
    public SafetensorsDType GetDType(string name)
    {
        var info = GetInfo(name);
        return info.DType ?? throw new CheckpointException(Path, name,
            $"has unsupported dtype '{info.DTypeName}' (supported: F32, F16, BF16, I64).");
    }

    /// <summary>Converts a floating tensor (F32, F16 or BF16) to a new float32 array.</summary>
    /// <exception cref="CheckpointException">Missing tensor or a dtype that is not floating.</exception>
    public float[] ReadFloat32(string name)
    {
        var dtype = GetDType(name);
        var info = GetInfo(name);
        var result = new float[info.ElementCount];
        ConvertToFloat32(dtype, GetPointer(name), result, Path, name);
        return result;
    }

    /// <summary>Copies an I64 tensor to a new array.</summary>
    /// <exception cref="CheckpointException">Missing tensor or a dtype other than I64.</exception>
    public long[] ReadInt64(string name)
    {
        var dtype = GetDType(name);
        if (dtype != SafetensorsDType.I64)
            throw new CheckpointException(Path, name, $"has dtype {dtype}; expected I64.");
        var info = GetInfo(name);
        var result = new long[info.ElementCount];
        new ReadOnlySpan<long>(GetPointer(name), result.Length).CopyTo(result);
        return result;
    }

    internal static void ConvertToFloat32(SafetensorsDType dtype, byte* src, Span<float> dst, string path, string name)
    {
        switch (dtype)
        {
            case SafetensorsDType.F32:
                new ReadOnlySpan<float>(src, dst.Length).CopyTo(dst);
                break;
            case SafetensorsDType.F16:
            {
                var s = new ReadOnlySpan<Half>(src, dst.Length);
                for (int i = 0; i < s.Length; i++) dst[i] = (float)s[i];
                break;
            }
            case SafetensorsDType.BF16:
            {
                var s = new ReadOnlySpan<ushort>(src, dst.Length);
                var d = MemoryMarshal.Cast<float, uint>(dst);
                for (int i = 0; i < s.Length; i++) d[i] = (uint)s[i] << 16; // bf16 → fp32 is exact
                break;
            }
            default:
                throw new CheckpointException(path, name, $"has dtype {dtype}; expected a floating type (F32, F16, BF16).");
        }
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
