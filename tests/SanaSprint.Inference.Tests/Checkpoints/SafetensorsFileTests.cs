using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Tests.TestSupport;

namespace SanaSprint.Inference.Tests.Checkpoints;

public sealed class SafetensorsFileTests
{
    [Fact]
    public void ReadsF32F16Bf16AndI64Tensors()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("w.safetensors");
        new SafetensorsWriter()
            .AddF32("a", [2, 2], [1f, -2f, 3.5f, 0.25f])
            .AddF16("b", [3], [0.5f, -1.5f, 2048f])
            .AddBF16("c", [2], [1f, -3f])
            .AddI64("m", [2], [1, 0])
            .Save(path);

        using var f = SafetensorsFile.Open(path);
        Assert.Equal(new[] { 1f, -2f, 3.5f, 0.25f }, f.ReadFloat32("a"));
        Assert.Equal(new[] { 0.5f, -1.5f, 2048f }, f.ReadFloat32("b"));
        Assert.Equal(new[] { 1f, -3f }, f.ReadFloat32("c"));
        Assert.Equal(new long[] { 1, 0 }, f.ReadInt64("m"));
        Assert.Equal(new long[] { 2, 2 }, f.GetInfo("a").Shape);
        Assert.Equal(SafetensorsDType.BF16, f.GetDType("c"));
        // Data offsets are absolute: 8 + header + begin.
        Assert.Equal(f.DataSectionOffset, f.GetInfo("a").DataStart);
        Assert.Equal(f.DataSectionOffset + 16, f.GetInfo("b").DataStart);
        Assert.Equal(16, f.GetBytes("a").Length);
    }

    [Fact]
    public void TruncatedFileNamesFileAndTensor()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("trunc.safetensors");
        new SafetensorsWriter().AddF32("first", [4], new float[4]).AddF32("blocks.0.weight", [8], new float[8]).Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);

        var ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("'blocks.0.weight'", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void FileShorterThanHeaderLengthIsTruncated()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("truncated", ex.Message);

        var header = new byte[16];
        BitConverter.TryWriteBytes(header, 1000UL);
        File.WriteAllBytes(path, header);
        ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains("header length 1000", ex.Message);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "not an object")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "data_offsets")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "non-negative")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "expected 12")]
    [InlineData("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", "begin")]
    public void CorruptHeaderIsRejectedWithFileName(string header, string expectedText)
    {
        using var tmp = new TempFolder();
        string path = tmp.File("bad.safetensors");
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        using (var f = File.Create(path))
        {
            f.Write(BitConverter.GetBytes((ulong)json.Length));
            f.Write(json);
            f.Write(new byte[8]);
        }
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expectedText, ex.Message);
    }

    [Fact]
    public void HugeHeaderLengthIsRejectedBeforeReading()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("huge.safetensors");
        var bytes = new byte[64];
        BitConverter.TryWriteBytes(bytes, ulong.MaxValue - 3);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(path));
        Assert.Contains("exceeds", ex.Message);
    }

    [Fact]
    public void UnsupportedDtypeIsReportedWhenTheTensorIsRead()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("f64.safetensors");
        new SafetensorsWriter().Add("double_tensor", "F64", [2], new byte[16]).Save(path);
        using var f = SafetensorsFile.Open(path);
        var ex = Assert.Throws<CheckpointException>(() => f.ReadFloat32("double_tensor"));
        Assert.Contains(path, ex.Message);
        Assert.Contains("'double_tensor'", ex.Message);
        Assert.Contains("unsupported dtype 'F64'", ex.Message);
    }

    [Fact]
    public void MissingFileAndMissingTensorAreNamed()
    {
        using var tmp = new TempFolder();
        string missing = tmp.File("nope.safetensors");
        var ex = Assert.Throws<CheckpointException>(() => SafetensorsFile.Open(missing));
        Assert.Contains(missing, ex.Message);
        Assert.Contains("not found", ex.Message);

        string path = tmp.File("one.safetensors");
        new SafetensorsWriter().AddF32("x", [1], [1f]).Save(path);
        using var f = SafetensorsFile.Open(path);
        ex = Assert.Throws<CheckpointException>(() => f.ReadFloat32("y"));
        Assert.Contains("'y' is missing", ex.Message);
        Assert.Contains(path, ex.Message);
    }
}
