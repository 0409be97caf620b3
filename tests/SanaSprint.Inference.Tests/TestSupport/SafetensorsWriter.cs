using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SanaSprint.Inference.Tests.TestSupport;

/// <summary>Writes safetensors files for tests (tiny random checkpoints and deliberately broken files).</summary>
public sealed class SafetensorsWriter
{
    private readonly List<(string Name, string DType, long[] Shape, byte[] Data)> _tensors = [];

    /// <summary>Adds a float32 tensor.</summary>
    public SafetensorsWriter AddF32(string name, long[] shape, float[] data) =>
        Add(name, "F32", shape, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());

    /// <summary>Adds a bfloat16 tensor (values truncated to bf16 by rounding to nearest even).</summary>
    public SafetensorsWriter AddBF16(string name, long[] shape, float[] data)
    {
        var bytes = new byte[data.Length * 2];
        for (int i = 0; i < data.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(data[i]);
            uint rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16;
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (ushort)rounded);
        }
        return Add(name, "BF16", shape, bytes);
    }

    /// <summary>Adds a float16 tensor.</summary>
    public SafetensorsWriter AddF16(string name, long[] shape, float[] data)
    {
        var bytes = new byte[data.Length * 2];
        for (int i = 0; i < data.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (Half)data[i]);
        return Add(name, "F16", shape, bytes);
    }

    /// <summary>Adds an int64 tensor.</summary>
    public SafetensorsWriter AddI64(string name, long[] shape, long[] data) =>
        Add(name, "I64", shape, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());

    /// <summary>Adds raw bytes with any dtype string.</summary>
    public SafetensorsWriter Add(string name, string dtype, long[] shape, byte[] data)
    {
        _tensors.Add((name, dtype, shape, data));
        return this;
    }

    /// <summary>Writes the file.</summary>
    public void Save(string path)
    {
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var t in _tensors)
        {
            header[t.Name] = new { dtype = t.DType, shape = t.Shape, data_offsets = new[] { offset, offset + t.Data.Length } };
            offset += t.Data.Length;
        }
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var f = System.IO.File.Create(path);
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        foreach (var t in _tensors) f.Write(t.Data);
    }
}
