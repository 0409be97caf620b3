using System.Collections;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Razorvine.Pickle;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>One tensor of a <see cref="TorchCheckpoint"/>: its element type, shape and contiguous little-endian bytes.</summary>
/// <param name="Name">The state-dict key, e.g. <c>3.conv.0.weight</c>.</param>
/// <param name="DType">The element type (float16 storages stay float16 here; they are upcast when read as float32).</param>
/// <param name="Shape">Dimensions (empty for a scalar).</param>
/// <param name="Data">The elements in row-major order, little-endian.</param>
public sealed record TorchTensor(string Name, SafetensorsDType DType, long[] Shape, byte[] Data)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Shape as <c>[a, b]</c>.</summary>
    public string ShapeText => SafetensorsTensorInfo.FormatShape(Shape);
}

/// <summary>
/// A PyTorch state dict saved with <c>torch.save</c> (the zip format of PyTorch ≥ 1.6): a zip holding
/// <c>{name}/data.pkl</c>, a pickle of the state dict whose tensors refer to raw storages <c>{name}/data/{key}</c>, plus
/// <c>{name}/byteorder</c> (absent in older files, which are little-endian) and <c>{name}/version</c>.
/// </summary>
/// <remarks>
/// A pickle can name any Python callable, so the file is untrusted input. Before anything is unpickled, every global the
/// pickle names is checked against the few a state dict needs, as <c>torch.load(..., weights_only=True)</c> does
/// (<c>torch/_weights_only_unpickler.py</c>): <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor_v2</c>,
/// <c>torch._utils._rebuild_parameter</c> and the <c>torch.*Storage</c> types. Any other global, extension code or
/// persistent id is a <see cref="CheckpointException"/>. The remaining pickle is read with Razorvine.Pickle, which builds
/// plain .NET objects and never runs code. Storages of float32, float16, bfloat16 and int64 are read (float16 and
/// bfloat16 stay as stored; the graph writer upcasts them to float32 exactly); tensors may have any storage offset
/// and strides (strided views are gathered into row-major order).
/// </remarks>
public sealed class TorchCheckpoint
{
    private static readonly string[] StorageTypes =
        ["FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "DoubleStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage"];

    private readonly Dictionary<string, TorchTensor> _tensors;

    private TorchCheckpoint(string path, Dictionary<string, TorchTensor> tensors)
    {
        Path = path;
        _tensors = tensors;
    }

    /// <summary>The file the checkpoint was read from.</summary>
    public string Path { get; }

    /// <summary>Every tensor, by key.</summary>
    public IReadOnlyDictionary<string, TorchTensor> Tensors => _tensors;

    /// <summary>True for a <c>.pth</c>, <c>.pt</c>, <c>.ckpt</c> or <c>.bin</c> file name.</summary>
    public static bool IsTorchFile(string path) =>
        path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) ||
        path.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads a state dict from a <c>torch.save</c> zip file.</summary>
    /// <exception cref="CheckpointException">Missing or corrupt file, a forbidden global, a missing storage, or a tensor
    /// that does not fit its storage (the message names the file and the tensor).</exception>
    public static TorchCheckpoint Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new CheckpointException(path, null, "file not found.");
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var pickles = zip.Entries.Where(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).ToList();
            if (pickles.Count != 1)
                throw new CheckpointException(path, null, pickles.Count == 0
                    ? "is not a PyTorch checkpoint: the zip holds no data.pkl."
                    : $"is not a single PyTorch checkpoint: the zip holds {pickles.Count} data.pkl files.");
            string prefix = pickles[0].FullName[..^"data.pkl".Length];
            CheckByteOrder(path, zip, prefix);
            byte[] pickle = ReadEntry(pickles[0]);

            foreach (var (module, name) in PickleGlobals.Scan(pickle, path))
                if (!IsAllowedGlobal(module, name))
                    throw new CheckpointException(path, null,
                        $"names the Python global '{module}.{name}', which a state dict does not need; only collections.OrderedDict, " +
                        "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and torch.*Storage are accepted.");

            object root;
            try
            {
                using var unpickler = new StateDictUnpickler();
                root = unpickler.loads(pickle);
            }
            catch (Exception ex) when (ex is PickleException or InvalidCastException or InvalidOperationException or ArgumentException or IndexOutOfRangeException)
            {
                throw new CheckpointException(path, null, $"corrupt data.pkl: {ex.Message}", ex);
            }
            if (root is not IDictionary dict)
                throw new CheckpointException(path, null, $"is not a state dict: data.pkl holds a {Describe(root)}, not a dict of tensors.");

            var tensors = new Dictionary<string, TorchTensor>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in dict)
            {
                if (entry.Key is not string key)
                    throw new CheckpointException(path, null, $"is not a state dict: it has a key of type {Describe(entry.Key)}.");
                if (entry.Value is not TensorRef tensor)
                    throw new CheckpointException(path, key, $"is a {Describe(entry.Value)}, not a tensor.");
                tensors[key] = Materialize(path, zip, prefix, key, tensor);
            }
            return new TorchCheckpoint(path, tensors);
        }
        catch (InvalidDataException ex)
        {
            throw new CheckpointException(path, null, $"is not a readable PyTorch checkpoint: truncated or corrupt zip ({ex.Message}).", ex);
        }
    }

    /// <summary>The tensor of this key.</summary>
    /// <exception cref="CheckpointException">No such tensor.</exception>
    public TorchTensor Get(string name) =>
        _tensors.TryGetValue(name, out var t) ? t : throw new CheckpointException(Path, name, "is missing.");

    /// <summary>Converts a floating tensor to a new float32 array (float16 and bfloat16 upcast exactly).</summary>
    /// <exception cref="CheckpointException">Missing tensor or a dtype that is not floating.</exception>
    public unsafe float[] ReadFloat32(string name)
    {
        var t = Get(name);
        var result = new float[t.ElementCount];
        fixed (byte* p = t.Data) SafetensorsFile.ConvertToFloat32(t.DType, p, result, Path, name);
        return result;
    }

    /// <summary>
    /// Writes the tensors as a <c>.safetensors</c> file with the same keys, dtypes and bytes (keys in ordinal order),
    /// so that the rest of the project reads them like any other checkpoint.
    /// </summary>
    public void WriteSafetensors(string path)
    {
        var header = new Dictionary<string, object>(StringComparer.Ordinal) { ["__metadata__"] = new Dictionary<string, string> { ["source"] = System.IO.Path.GetFileName(Path) } };
        long offset = 0;
        var ordered = _tensors.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        foreach (var t in ordered)
        {
            header[t.Name] = new { dtype = t.DType.ToHeaderString(), shape = t.Shape, data_offsets = new[] { offset, offset + t.Data.LongLength } };
            offset += t.Data.LongLength;
        }
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8;
        json = [.. json, .. Enumerable.Repeat((byte)' ', pad)];
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        foreach (var t in ordered) f.Write(t.Data);
    }

    private static bool IsAllowedGlobal(string module, string name) => (module, name) switch
    {
        ("collections", "OrderedDict") => true,
        ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_parameter") => true,
        ("torch", _) => StorageTypes.Contains(name),
        _ => false,
    };

    private static void CheckByteOrder(string path, ZipArchive zip, string prefix)
    {
        var entry = zip.GetEntry(prefix + "byteorder");
        if (entry is null) return; // written since PyTorch 1.13; older files are little-endian
        string order = Encoding.ASCII.GetString(ReadEntry(entry)).Trim();
        if (order != "little")
            throw new CheckpointException(path, null, $"has byteorder '{order}'; only little-endian checkpoints are read.");
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream(checked((int)Math.Max(entry.Length, 0)));
        s.CopyTo(m);
        if (m.Length != entry.Length)
            throw new InvalidDataException($"entry '{entry.FullName}' has {m.Length} bytes, not the {entry.Length} its header states");
        return m.ToArray();
    }

    private static TorchTensor Materialize(string path, ZipArchive zip, string prefix, string key, TensorRef t)
    {
        var s = t.Storage;
        var dtype = s.Type switch
        {
            "FloatStorage" => SafetensorsDType.F32,
            "HalfStorage" => SafetensorsDType.F16,
            "BFloat16Storage" => SafetensorsDType.BF16,
            "LongStorage" => SafetensorsDType.I64,
            _ => throw new CheckpointException(path, key,
                $"has storage type torch.{s.Type}; supported: FloatStorage, HalfStorage, BFloat16Storage, LongStorage."),
        };
        int es = dtype.ElementSize();
        if (t.Size.Length != t.Stride.Length || t.Size.Any(d => d < 0) || t.Stride.Any(d => d < 0) || t.Offset < 0)
            throw new CheckpointException(path, key,
                $"has an invalid view: size {SafetensorsTensorInfo.FormatShape(t.Size)}, stride {SafetensorsTensorInfo.FormatShape(t.Stride)}, offset {t.Offset}.");

        string entryName = prefix + "data/" + s.Key;
        var entry = zip.GetEntry(entryName)
            ?? throw new CheckpointException(path, key, $"refers to storage '{s.Key}', but the zip has no '{entryName}'.");
        byte[] storage = ReadEntry(entry);
        if (storage.Length % es != 0 || (s.ElementCount >= 0 && storage.LongLength != s.ElementCount * es))
            throw new CheckpointException(path, key,
                $"refers to storage '{s.Key}' of {s.ElementCount} {s.Type} elements ({s.ElementCount * es} bytes), but '{entryName}' has {storage.Length} bytes.");
        long storageElements = storage.Length / es;

        long count = t.Size.Aggregate(1L, (a, b) => a * b);
        long last = count == 0 ? t.Offset - 1 : t.Offset + t.Size.Select((d, i) => (d - 1) * t.Stride[i]).Sum();
        if (count > 0 && last >= storageElements)
            throw new CheckpointException(path, key,
                $"with size {SafetensorsTensorInfo.FormatShape(t.Size)}, stride {SafetensorsTensorInfo.FormatShape(t.Stride)} and offset {t.Offset} " +
                $"reaches element {last} of storage '{s.Key}', which holds {storageElements}.");

        var data = new byte[count * es];
        if (IsContiguous(t.Size, t.Stride))
            Array.Copy(storage, t.Offset * es, data, 0, data.LongLength);
        else
            Gather(storage, data, t.Size, t.Stride, t.Offset, es);
        return new TorchTensor(key, dtype, t.Size, data);
    }

    private static bool IsContiguous(long[] size, long[] stride)
    {
        long expected = 1;
        for (int i = size.Length - 1; i >= 0; i--)
        {
            if (size[i] != 1 && stride[i] != expected) return false;
            expected *= size[i];
        }
        return true;
    }

    /// <summary>Copies a strided view into row-major order, one element at a time.</summary>
    private static void Gather(byte[] storage, byte[] data, long[] size, long[] stride, long offset, int es)
    {
        var index = new long[size.Length];
        long count = data.LongLength / es;
        for (long n = 0; n < count; n++)
        {
            long src = offset;
            for (int d = 0; d < size.Length; d++) src += index[d] * stride[d];
            Array.Copy(storage, src * es, data, n * es, es);
            for (int d = size.Length - 1; d >= 0; d--)
            {
                if (++index[d] < size[d]) break;
                index[d] = 0;
            }
        }
    }

    private static string Describe(object? o) => o switch
    {
        null => "None",
        Razorvine.Pickle.Objects.ClassDict c => c.ClassName,
        _ => o.GetType().Name,
    };

    // ----- unpickling -----

    /// <summary>A storage as the pickle's persistent id names it: <c>('storage', torch.HalfStorage, key, location, numel)</c>.</summary>
    private sealed record StorageRef(string Type, string Key, long ElementCount);

    /// <summary>The arguments of <c>_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)</c>.</summary>
    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    /// <summary>A storage type global (<c>torch.HalfStorage</c>), only ever used as a tag inside a persistent id.</summary>
    private sealed class StorageType(string name) : IObjectConstructor
    {
        public string Name { get; } = name;

        public object construct(object[] args) => throw new PickleException($"torch.{Name} is a storage type, not a callable.");
    }

    /// <summary><c>collections.OrderedDict()</c>; <c>BUILD</c> may set its <c>_metadata</c> attribute, which is ignored.</summary>
    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) => args.Length == 0
            ? new StateDict()
            : throw new PickleException("collections.OrderedDict is called with arguments; a state dict's is not.");
    }

    /// <summary>The state dict (Razorvine fills dicts through <see cref="Hashtable"/>).</summary>
    private sealed class StateDict : Hashtable
    {
        // BUILD sets instance attributes such as `_metadata` (per-module versions); nothing in them is needed.
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "The pickle protocol's name.")]
        public void __setstate__(Hashtable state) { }
    }

    private sealed class RebuildTensorV2 : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < 4 || args[0] is not StorageRef storage)
                throw new PickleException("_rebuild_tensor_v2 needs (storage, storage_offset, size, stride, ...).");
            return new TensorRef(storage, ToLong(args[1]), ToLongs(args[2]), ToLongs(args[3]));
        }
    }

    /// <summary><c>_rebuild_parameter(data, requires_grad, backward_hooks)</c>: a parameter is its data.</summary>
    private sealed class RebuildParameter : IObjectConstructor
    {
        public object construct(object[] args) => args.Length >= 1 && args[0] is TensorRef t
            ? t
            : throw new PickleException("_rebuild_parameter needs a tensor as its first argument.");
    }

    private static long ToLong(object o) => o switch
    {
        int i => i,
        long l => l,
        System.Numerics.BigInteger b => (long)b,
        _ => throw new PickleException($"expected an integer, got {Describe(o)}."),
    };

    private static long[] ToLongs(object o) => o is object[] items
        ? items.Select(ToLong).ToArray()
        : throw new PickleException($"expected a tuple of integers, got {Describe(o)}.");

    static TorchCheckpoint()
    {
        // Razorvine's registry is process-wide; these are the only globals Load lets through (PickleGlobals.Scan runs first).
        Unpickler.registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", new RebuildTensorV2());
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", new RebuildParameter());
        foreach (var type in StorageTypes) Unpickler.registerConstructor("torch", type, new StorageType(type));
    }

    private sealed class StateDictUnpickler : Unpickler
    {
        protected override object persistentLoad(object pid)
        {
            if (pid is object[] { Length: 5 } t && t[0] is "storage" && t[1] is StorageType type && t[2] is string key)
                return new StorageRef(type.Name, key, ToLong(t[4]));
            throw new PickleException($"unsupported persistent id {Describe(pid)}; expected ('storage', torch.<Type>Storage, key, location, numel).");
        }
    }

    /// <summary>
    /// Lists the globals a pickle names without running it: walks the opcodes (protocols 0–5, as Python's
    /// <c>pickletools.genops</c> does) and reports <c>GLOBAL</c>/<c>INST</c> arguments and the two strings a
    /// <c>STACK_GLOBAL</c> takes. Extension-registry opcodes are refused: they name globals indirectly.
    /// </summary>
    internal static class PickleGlobals
    {
        public static List<(string Module, string Name)> Scan(byte[] pickle, string path)
        {
            var globals = new List<(string, string)>();
            var memo = new Dictionary<long, string>();
            var recent = new List<string?>(); // the values pushed most recently, when strings (for STACK_GLOBAL)
            long memoCount = 0;
            int pos = 0;

            CheckpointException Corrupt(string what) => new(path, null, $"corrupt data.pkl: {what} at byte {pos}.");
            ReadOnlySpan<byte> Take(long n)
            {
                if (n < 0 || pos + n > pickle.Length) throw Corrupt("truncated pickle");
                var s = pickle.AsSpan(pos, (int)n);
                pos += (int)n;
                return s;
            }
            string Line()
            {
                int end = Array.IndexOf(pickle, (byte)'\n', pos);
                if (end < 0) throw Corrupt("unterminated text argument");
                string s = Encoding.UTF8.GetString(pickle, pos, end - pos);
                pos = end + 1;
                return s;
            }
            void Push(string? s) { recent.Add(s); if (recent.Count > 2) recent.RemoveAt(0); }
            void Remember(long index) { if (recent.Count > 0 && recent[^1] is { } s) memo[index] = s; }
            void Recall(long index) => Push(memo.TryGetValue(index, out var s) ? s : null);

            while (true)
            {
                if (pos >= pickle.Length) throw Corrupt("truncated pickle (no STOP)");
                byte op = pickle[pos++];
                switch (op)
                {
                    case (byte)'.': return globals; // STOP
                    case (byte)'c': // GLOBAL
                    case (byte)'i': // INST
                    {
                        string module = Line(), name = Line();
                        globals.Add((module, name));
                        Push(null);
                        break;
                    }
                    case 0x93: // STACK_GLOBAL
                        if (recent.Count < 2 || recent[0] is null || recent[1] is null)
                            throw new CheckpointException(path, null, "corrupt data.pkl: a STACK_GLOBAL whose module and name are not literal strings.");
                        globals.Add((recent[0]!, recent[1]!));
                        recent.Clear();
                        Push(null);
                        break;
                    case 0x82 or 0x83 or 0x84: // EXT1, EXT2, EXT4
                        throw new CheckpointException(path, null, "names a global through the pickle extension registry, which a state dict does not use.");
                    // strings (their values matter for STACK_GLOBAL)
                    case 0x8c: Push(Encoding.UTF8.GetString(Take(Take(1)[0]))); break; // SHORT_BINUNICODE
                    case (byte)'X': Push(Encoding.UTF8.GetString(Take(BitConverter.ToUInt32(Take(4))))); break; // BINUNICODE
                    case 0x8d: Push(Encoding.UTF8.GetString(Take((long)BitConverter.ToUInt64(Take(8))))); break; // BINUNICODE8
                    case (byte)'V': Push(Line()); break; // UNICODE
                    // memo
                    case (byte)'q': Remember(Take(1)[0]); break; // BINPUT
                    case (byte)'r': Remember(BitConverter.ToUInt32(Take(4))); break; // LONG_BINPUT
                    case (byte)'p': Remember(long.TryParse(Line(), out var p) ? p : -1); break; // PUT
                    case 0x94: Remember(memoCount++); break; // MEMOIZE
                    case (byte)'h': Recall(Take(1)[0]); break; // BINGET
                    case (byte)'j': Recall(BitConverter.ToUInt32(Take(4))); break; // LONG_BINGET
                    case (byte)'g': Recall(long.TryParse(Line(), out var gi) ? gi : -1); break; // GET
                    // everything else: skip its argument
                    case (byte)'(' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or 0x88 or 0x89 or (byte)']' or (byte)'a' or (byte)'e'
                        or (byte)'l' or (byte)')' or (byte)'t' or 0x85 or 0x86 or 0x87 or (byte)'}' or (byte)'d' or (byte)'s' or (byte)'u'
                        or 0x8f or 0x90 or 0x91 or (byte)'Q' or (byte)'R' or (byte)'b' or (byte)'o' or 0x81 or 0x92 or 0x97 or 0x98:
                        Push(null);
                        break;
                    case (byte)'K' or 0x80: Take(1); Push(null); break; // BININT1, PROTO
                    case (byte)'M': Take(2); Push(null); break; // BININT2
                    case (byte)'J': Take(4); Push(null); break; // BININT
                    case (byte)'G' or 0x95: Take(8); Push(null); break; // BINFLOAT, FRAME
                    case (byte)'U' or (byte)'C' or 0x8a: Take(Take(1)[0]); Push(null); break; // SHORT_BINSTRING, SHORT_BINBYTES, LONG1
                    case (byte)'T' or (byte)'B' or 0x8b: Take(BitConverter.ToUInt32(Take(4))); Push(null); break; // BINSTRING, BINBYTES, LONG4
                    case 0x8e or 0x96: Take((long)BitConverter.ToUInt64(Take(8))); Push(null); break; // BINBYTES8, BYTEARRAY8
                    case (byte)'I' or (byte)'L' or (byte)'F' or (byte)'S' or (byte)'P': Line(); Push(null); break; // INT, LONG, FLOAT, STRING, PERSID
                    default:
                        throw Corrupt($"unknown pickle opcode 0x{op:x2}");
                }
            }
        }
    }
}
