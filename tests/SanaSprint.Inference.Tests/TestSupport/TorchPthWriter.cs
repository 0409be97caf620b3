using System.IO.Compression;
using System.Text;

namespace SanaSprint.Inference.Tests.TestSupport;

/// <summary>
/// Writes PyTorch state dicts the way <c>torch.save</c> does (zip: <c>{name}/data.pkl</c>, a protocol-2 pickle of an
/// <c>OrderedDict</c> of <c>_rebuild_tensor_v2</c> calls whose storages are persistent ids; <c>{name}/data/{key}</c>
/// raw little-endian storages; <c>{name}/byteorder</c>; <c>{name}/version</c>), and deliberately broken variants.
/// </summary>
public sealed class TorchPthWriter
{
    /// <summary>One tensor: a view (<paramref name="Offset"/>, <paramref name="Size"/>, <paramref name="Stride"/>) of
    /// storage <paramref name="StorageKey"/>.</summary>
    public sealed record Entry(string Name, string StorageKey, long Offset, long[] Size, long[] Stride);

    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, (string Type, byte[] Bytes, long Count)> _storages = new(StringComparer.Ordinal);

    /// <summary>Extra pickle bytes inserted before the state dict's items (e.g. a forbidden <c>GLOBAL</c>).</summary>
    public byte[] Prefix { get; set; } = [];

    /// <summary>Written as <c>{name}/byteorder</c>; <c>null</c> omits the entry (as PyTorch &lt; 1.13 did).</summary>
    public string? ByteOrder { get; set; } = "little";

    /// <summary>Adds a contiguous float16 tensor with its own storage (values rounded to fp16).</summary>
    public TorchPthWriter AddF16(string name, long[] shape, float[] values) =>
        AddStorage(name, "HalfStorage", values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(), values.Length)
            .AddView(name, name, 0, shape, Contiguous(shape));

    /// <summary>Adds a contiguous float32 tensor with its own storage.</summary>
    public TorchPthWriter AddF32(string name, long[] shape, float[] values) =>
        AddStorage(name, "FloatStorage", values.SelectMany(BitConverter.GetBytes).ToArray(), values.Length)
            .AddView(name, name, 0, shape, Contiguous(shape));

    /// <summary>Adds a contiguous bfloat16 tensor with its own storage (values truncated to their upper 16 bits).</summary>
    public TorchPthWriter AddBF16(string name, long[] shape, float[] values) =>
        AddStorage(name, "BFloat16Storage", values.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray(), values.Length)
            .AddView(name, name, 0, shape, Contiguous(shape));

    /// <summary>Adds a raw storage of a torch storage type.</summary>
    public TorchPthWriter AddStorage(string key, string type, byte[] bytes, long count)
    {
        _storages[key] = (type, bytes, count);
        return this;
    }

    /// <summary>Adds a tensor viewing an existing storage.</summary>
    public TorchPthWriter AddView(string name, string storageKey, long offset, long[] size, long[] stride)
    {
        _entries.Add(new Entry(name, storageKey, offset, size, stride));
        return this;
    }

    /// <summary>Row-major strides of a shape.</summary>
    public static long[] Contiguous(long[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    /// <summary>Writes the zip. Storages named in <paramref name="omitStorages"/> are left out of it.</summary>
    public void Save(string path, string archiveName = "archive", params string[] omitStorages)
    {
        using var file = new FileStream(path, FileMode.Create);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        void Write(string entry, byte[] bytes)
        {
            using var s = zip.CreateEntry($"{archiveName}/{entry}", CompressionLevel.NoCompression).Open();
            s.Write(bytes);
        }
        Write("data.pkl", Pickle());
        if (ByteOrder is not null) Write("byteorder", Encoding.ASCII.GetBytes(ByteOrder));
        foreach (var (key, storage) in _storages)
            if (!omitStorages.Contains(key)) Write($"data/{key}", storage.Bytes);
        Write("version", Encoding.ASCII.GetBytes("3\n"));
    }

    /// <summary>The pickle, opcode by opcode, as <c>torch.save</c> (protocol 2) lays it out, without memoization.</summary>
    private byte[] Pickle()
    {
        var p = new List<byte> { 0x80, 2 };
        void Global(string module, string name) { p.Add((byte)'c'); p.AddRange(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); }
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); p.Add((byte)'X'); p.AddRange(BitConverter.GetBytes(b.Length)); p.AddRange(b); }
        void Int(long v) { p.Add((byte)'J'); p.AddRange(BitConverter.GetBytes(checked((int)v))); }
        void Tuple(long[] values) { p.Add((byte)'('); foreach (var v in values) Int(v); p.Add((byte)'t'); }
        void EmptyOrderedDict() { Global("collections", "OrderedDict"); p.Add((byte)')'); p.Add((byte)'R'); }

        EmptyOrderedDict();
        p.AddRange(Prefix);
        p.Add((byte)'(');
        foreach (var e in _entries)
        {
            Str(e.Name);
            Global("torch._utils", "_rebuild_tensor_v2");
            p.Add((byte)'(');
            // persistent id ('storage', torch.<Type>, key, 'cpu', numel)
            p.Add((byte)'(');
            Str("storage");
            var storage = _storages[e.StorageKey];
            Global("torch", storage.Type);
            Str(e.StorageKey);
            Str("cpu");
            Int(storage.Count);
            p.Add((byte)'t');
            p.Add((byte)'Q');
            Int(e.Offset);
            Tuple(e.Size);
            Tuple(e.Stride);
            p.Add(0x89); // requires_grad False
            EmptyOrderedDict(); // backward hooks
            p.Add((byte)'t');
            p.Add((byte)'R');
        }
        p.Add((byte)'u');
        p.Add((byte)'.');
        return [.. p];
    }
}
