using System.Text;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Verification;

/// <summary><see cref="NpyFile"/>: the .npy layout NumPy reads (magic, version 1.0, 64-byte aligned header, raw data).</summary>
public sealed class NpyFileTests
{
    [Fact]
    public void AFloatTensorRoundTripsWithItsShapeAndTheHeaderIsAlignedTo64Bytes()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("x.npy");
        float[] values = [1.5f, -2f, float.MaxValue, 0f, 3.25f, -0.125f];
        NpyFile.Write(path, values, [2, 3]);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0], bytes[..8]);
        int headerLength = bytes[8] | (bytes[9] << 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(10 + headerLength + values.Length * 4, bytes.Length);

        var (shape, read) = NpyFile.ReadFloat32(path);
        Assert.Equal([2L, 3L], shape);
        Assert.Equal(values, read);
    }

    [Fact]
    public void OneDimensionalShapesAreWrittenAsAOneTupleAndInt64KeepsItsType()
    {
        using var tmp = new TempFolder();
        NpyFile.Write(tmp.File("m.npy"), new long[] { 1, 1, 0 }, [3]);
        var bytes = File.ReadAllBytes(tmp.File("m.npy"));
        int headerLength = bytes[8] | (bytes[9] << 8);
        Assert.Contains("'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", Encoding.ASCII.GetString(bytes, 10, headerLength));
        Assert.Equal(new long[] { 1, 1, 0 }, Enumerable.Range(0, 3).Select(i => BitConverter.ToInt64(bytes, 10 + headerLength + 8 * i)));
        var error = Assert.Throws<InvalidDataException>(() => NpyFile.ReadFloat32(tmp.File("m.npy")));
        Assert.Contains("float32", error.Message);
    }

    [Fact]
    public void ACountThatDoesNotFillTheShapeIsRefused()
    {
        using var tmp = new TempFolder();
        var error = Assert.Throws<ArgumentException>(() => NpyFile.Write(tmp.File("bad.npy"), new float[5], [2, 3]));
        Assert.Contains("(2, 3)", error.Message);
        Assert.False(File.Exists(tmp.File("bad.npy")));
    }
}
