using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Minimal NumPy <c>.npy</c> files (format version 1.0, little-endian, C order) for float32 and int64 tensors, so
/// a Python reference (<c>numpy.load</c>) can read the exact inputs and outputs of a component call: magic
/// <c>\x93NUMPY</c>, version 1.0, a 2-byte header length, then a Python dict literal
/// (<c>descr</c>, <c>fortran_order</c>, <c>shape</c>) padded with spaces and a newline to a multiple of 64 bytes,
/// then the raw data (the layout NumPy's <c>numpy/lib/format.py</c> documents).
/// </summary>
public static class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0];

    /// <summary>Writes float32 <paramref name="values"/> with <paramref name="shape"/>.</summary>
    /// <param name="path">Target file.</param>
    /// <param name="values">Row-major values; their count must be the product of <paramref name="shape"/>.</param>
    /// <param name="shape">Dimensions.</param>
    /// <exception cref="ArgumentException">The count does not match the shape.</exception>
    public static void Write(string path, ReadOnlySpan<float> values, IReadOnlyList<long> shape) =>
        Write(path, "<f4", MemoryMarshal.AsBytes(values), values.Length, shape);

    /// <summary>Writes int64 <paramref name="values"/> with <paramref name="shape"/>.</summary>
    /// <param name="path">Target file.</param>
    /// <param name="values">Row-major values; their count must be the product of <paramref name="shape"/>.</param>
    /// <param name="shape">Dimensions.</param>
    /// <exception cref="ArgumentException">The count does not match the shape.</exception>
    public static void Write(string path, ReadOnlySpan<long> values, IReadOnlyList<long> shape) =>
        Write(path, "<i8", MemoryMarshal.AsBytes(values), values.Length, shape);

    /// <summary>Reads a float32 file written by <see cref="Write(string, ReadOnlySpan{float}, IReadOnlyList{long})"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The shape and the values.</returns>
    /// <exception cref="InvalidDataException">Not a version 1.0 little-endian float32 C-order file.</exception>
    public static (long[] Shape, float[] Values) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a version 1.0 .npy file.");
        int headerLength = bytes[8] | (bytes[9] << 8);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: expected little-endian float32 in C order, found {header.Trim()}.");
        int open = header.IndexOf("'shape': (", StringComparison.Ordinal) + 10, close = header.IndexOf(')', open);
        long[] shape = header[open..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var values = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(10 + headerLength)).ToArray();
        if (values.LongLength != shape.Aggregate(1L, (a, b) => a * b))
            throw new InvalidDataException($"{path}: {values.Length} values for shape ({string.Join(", ", shape)}).");
        return (shape, values);
    }

    private static void Write(string path, string descr, ReadOnlySpan<byte> data, int count, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long expected = shape.Aggregate(1L, (a, b) => a * b);
        if (expected != count)
            throw new ArgumentException($"{count} values do not fill the shape ({string.Join(", ", shape)}).", nameof(shape));
        string dims = shape.Count == 1
            ? string.Create(CultureInfo.InvariantCulture, $"{shape[0]},")
            : string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = Magic.Length + 2 + dict.Length + 1;
        dict += new string(' ', (64 - total % 64) % 64) + "\n";
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        f.Write(Magic);
        f.Write([(byte)(dict.Length & 0xFF), (byte)(dict.Length >> 8)]);
        f.Write(Encoding.ASCII.GetBytes(dict));
        f.Write(data);
    }
}
