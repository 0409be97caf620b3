using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace SanaSprint.Inference.Demo;

/// <summary>Writes float32 tensors as a <c>.safetensors</c> file (8-byte header length, JSON header, raw little-endian data).</summary>
internal static class DemoSafetensorsWriter
{
    /// <summary>Writes the tensors in the given order.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, long[] Shape, float[] Data)> tensors)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, shape, data) in tensors)
        {
            long bytes = data.LongLength * 4;
            if (shape.Aggregate(1L, (a, b) => a * b) != data.LongLength)
                throw new InvalidOperationException($"demo tensor '{name}': shape [{string.Join(", ", shape)}] does not match {data.Length} values.");
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
        stream.Write(len);
        stream.Write(json);
        for (int i = 0; i < pad; i++) stream.WriteByte((byte)' ');
        var buffer = new byte[1 << 16];
        foreach (var (_, _, data) in tensors)
        {
            int i = 0;
            while (i < data.Length)
            {
                int count = Math.Min(buffer.Length / 4, data.Length - i);
                for (int k = 0; k < count; k++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(k * 4), data[i + k]);
                stream.Write(buffer, 0, count * 4);
                i += count;
            }
        }
    }
}
