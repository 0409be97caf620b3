using System.Runtime.InteropServices;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Persistence;

/// <summary>Stroke points as every store keeps them: x, y, pressure as little-endian float32, 12 bytes a point, so appending points appends bytes.</summary>
internal static class PackedPoints
{
    /// <summary>Bytes a point takes.</summary>
    public const int BytesPerPoint = 12;

    /// <summary>The points from <paramref name="from"/> on, packed.</summary>
    public static byte[] Pack(List<CanvasPoint> points, int from)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Stroke points are stored little-endian.");
        var count = points.Count - from;
        var floats = new float[count * 3];
        for (var i = 0; i < count; i++)
        {
            var p = points[from + i];
            floats[3 * i] = p.X;
            floats[3 * i + 1] = p.Y;
            floats[3 * i + 2] = p.Pressure;
        }
        return MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
    }

    /// <summary>The points packed in <paramref name="bytes"/> (a trailing partial point is ignored).</summary>
    public static IEnumerable<CanvasPoint> Unpack(byte[] bytes)
    {
        var floats = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(0, bytes.Length / BytesPerPoint * BytesPerPoint)).ToArray();
        for (var i = 0; i + 2 < floats.Length; i += 3) yield return new CanvasPoint(floats[i], floats[i + 1], floats[i + 2]);
    }
}
