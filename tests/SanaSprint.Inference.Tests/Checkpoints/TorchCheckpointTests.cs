using System.IO.Compression;
using System.Text;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Tests.TestSupport;

namespace SanaSprint.Inference.Tests.Checkpoints;

public sealed class TorchCheckpointTests
{
    private static string PublishedEncoder => Path.Combine(TestPaths.GoldenCase("taesana_encoder_real"), "taesana_encoder.pth");

    private static string PublishedDecoder => Path.Combine(TestPaths.GoldenCase("taesana_decoder_tiny"), "taesana_decoder.pth");

    // ------------------------------------------------------------------ files as published

    [Theory]
    [InlineData(TinyAutoencoderPart.Encoder)]
    [InlineData(TinyAutoencoderPart.Decoder)]
    public void PublishedTaesanaFilesHoldExactlyTheParametersOfTheirPart(TinyAutoencoderPart part)
    {
        var torch = TorchCheckpoint.Load(part == TinyAutoencoderPart.Encoder ? PublishedEncoder : PublishedDecoder);

        var expected = TinyAutoencoder.Parameters(part);
        Assert.Equal(expected.Select(p => p.Key).Order(StringComparer.Ordinal), torch.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var p in expected)
        {
            Assert.Equal(p.Shape, torch.Get(p.Key).Shape);
            Assert.Equal(SafetensorsDType.F16, torch.Get(p.Key).DType);
        }
        TinyAutoencoderCheckpoint.Check(torch, part);
    }

    [Fact]
    public void Fp16StoragesUpcastExactly()
    {
        // The first conv's weight is storage 0 of the published encoder: its raw halves, converted one by one.
        using var zip = ZipFile.OpenRead(PublishedEncoder);
        using var s = zip.GetEntry("taesana_encoder/data/0")!.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        var raw = m.ToArray();
        var expected = Enumerable.Range(0, raw.Length / 2).Select(i => (float)BitConverter.ToHalf(raw, 2 * i)).ToArray();

        var actual = TorchCheckpoint.Load(PublishedEncoder).ReadFloat32("0.weight");

        Assert.Equal(32 * 3 * 3 * 3, actual.Length);
        Assert.Equal(expected, actual);
    }

    // ------------------------------------------------------------------ dtypes, offsets and strides

    [Fact]
    public void Float32Float16AndBFloat16TensorsReadBackExactly()
    {
        using var tmp = new TempFolder();
        float[] values = [1f, -2.5f, 0.099975586f, 65504f, -0.0001f, 3.140625f];
        new TorchPthWriter()
            .AddF32("a", [2, 3], values)
            .AddF16("b", [6], values)
            .AddBF16("c", [3, 2], values)
            .Save(tmp.File("w.pth"));

        var torch = TorchCheckpoint.Load(tmp.File("w.pth"));

        Assert.Equal(values, torch.ReadFloat32("a"));
        Assert.Equal(values.Select(v => (float)(Half)v), torch.ReadFloat32("b"));
        Assert.Equal(values.Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000)), torch.ReadFloat32("c"));
        Assert.Equal([SafetensorsDType.F32, SafetensorsDType.F16, SafetensorsDType.BF16], new[] { "a", "b", "c" }.Select(k => torch.Get(k).DType));
        Assert.Equal([3L, 2], torch.Get("c").Shape);
    }

    [Fact]
    public void ViewsWithOffsetsAndStridesAreGatheredInRowMajorOrder()
    {
        using var tmp = new TempFolder();
        float[] storage = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        new TorchPthWriter()
            .AddStorage("0", "FloatStorage", storage.SelectMany(BitConverter.GetBytes).ToArray(), storage.Length)
            .AddView("whole", "0", 0, [3, 4], [4, 1])
            .AddView("tail", "0", 8, [4], [1])                 // a slice sharing the storage
            .AddView("transposed", "0", 0, [4, 3], [1, 4])     // whole.T: not contiguous
            .AddView("every_other", "0", 1, [2, 2], [6, 2])    // strided rows and columns
            .AddView("broadcast", "0", 5, [2, 3], [0, 1])      // stride 0 (expand)
            .Save(tmp.File("w.pth"));

        var torch = TorchCheckpoint.Load(tmp.File("w.pth"));

        Assert.Equal(storage, torch.ReadFloat32("whole"));
        Assert.Equal([8f, 9, 10, 11], torch.ReadFloat32("tail"));
        Assert.Equal([0f, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11], torch.ReadFloat32("transposed"));
        Assert.Equal([1f, 3, 7, 9], torch.ReadFloat32("every_other"));
        Assert.Equal([5f, 6, 7, 5, 6, 7], torch.ReadFloat32("broadcast"));
    }

    [Fact]
    public void FilesWithoutByteorderAreLittleEndian()
    {
        using var tmp = new TempFolder();
        new TorchPthWriter { ByteOrder = null }.AddF16("w", [2], [0.5f, -1f]).Save(tmp.File("w.pth"));

        Assert.Equal([0.5f, -1f], TorchCheckpoint.Load(tmp.File("w.pth")).ReadFloat32("w"));
    }

    [Fact]
    public void SafetensorsCopyHasTheSameKeysDtypesAndBytes()
    {
        using var tmp = new TempFolder();
        var torch = TorchCheckpoint.Load(PublishedDecoder);

        torch.WriteSafetensors(tmp.File("d.safetensors"));

        using var st = SafetensorsFile.Open(tmp.File("d.safetensors"));
        Assert.Equal(torch.Tensors.Keys.Order(StringComparer.Ordinal), st.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var t in torch.Tensors.Values)
        {
            Assert.Equal("F16", st.GetInfo(t.Name).DTypeName);
            Assert.Equal(t.Shape, st.GetInfo(t.Name).Shape);
            Assert.True(st.GetBytes(t.Name).SequenceEqual(t.Data), t.Name);
        }
    }

    // ------------------------------------------------------------------ bad files

    [Fact]
    public void TruncatedZipNamesTheFile()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("taesana_encoder.pth");
        var bytes = File.ReadAllBytes(PublishedEncoder);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var ex = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("truncated or corrupt zip", ex.Message);
    }

    [Fact]
    public void FileThatIsNotAZipOrHasNoPickleIsRejected()
    {
        using var tmp = new TempFolder();
        File.WriteAllText(tmp.File("text.pth"), "not a checkpoint");
        using (var zip = ZipFile.Open(tmp.File("empty.pth"), ZipArchiveMode.Create))
            zip.CreateEntry("archive/version");

        Assert.Contains("truncated or corrupt zip", Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(tmp.File("text.pth"))).Message);
        Assert.Contains("no data.pkl", Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(tmp.File("empty.pth"))).Message);
        Assert.Contains("file not found", Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(tmp.File("absent.pth"))).Message);
    }

    [Fact]
    public void MissingStorageNamesTheTensorAndTheEntry()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("w.pth");
        new TorchPthWriter().AddF16("0.weight", [2], [1f, 2f]).AddF16("0.bias", [1], [3f]).Save(path, "w", omitStorages: "0.bias");

        var ex = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Equal("0.bias", ex.TensorName);
        Assert.Contains("'w/data/0.bias'", ex.Message);
    }

    [Fact]
    public void ViewBeyondItsStorageNamesTheTensor()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("w.pth");
        new TorchPthWriter()
            .AddStorage("0", "HalfStorage", new byte[8], 4)
            .AddView("big", "0", 2, [2, 2], [2, 1])
            .Save(path);

        var ex = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));

        Assert.Equal("big", ex.TensorName);
        Assert.Contains("reaches element 5 of storage '0', which holds 4", ex.Message);
    }

    [Fact]
    public void StorageShorterThanItsPersistentIdStatesIsRejected()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("w.pth");
        new TorchPthWriter().AddStorage("0", "FloatStorage", new byte[8], 4).AddView("w", "0", 0, [2], [1]).Save(path);

        var ex = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));

        Assert.Equal("w", ex.TensorName);
        Assert.Contains("has 8 bytes", ex.Message);
    }

    [Fact]
    public void UnsupportedStorageTypeNamesTheTensorAndTheType()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("w.pth");
        new TorchPthWriter().AddStorage("0", "DoubleStorage", new byte[16], 2).AddView("w", "0", 0, [2], [1]).Save(path);

        var ex = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));

        Assert.Equal("w", ex.TensorName);
        Assert.Contains("torch.DoubleStorage", ex.Message);
    }

    [Fact]
    public void BigEndianFilesAreRejected()
    {
        using var tmp = new TempFolder();
        new TorchPthWriter { ByteOrder = "big" }.AddF16("w", [1], [1f]).Save(tmp.File("w.pth"));

        Assert.Contains("byteorder 'big'", Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(tmp.File("w.pth"))).Message);
    }

    [Fact]
    public void ForbiddenGlobalIsAnErrorBeforeAnythingIsUnpickled()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("evil.pth");
        // os.system('echo pwned'), popped so that the state dict still follows: torch.load(weights_only=True) refuses it.
        var call = new List<byte> { (byte)'c' };
        call.AddRange(Encoding.ASCII.GetBytes("os\nsystem\n"));
        call.Add((byte)'X');
        call.AddRange(BitConverter.GetBytes(10));
        call.AddRange(Encoding.ASCII.GetBytes("echo pwned"));
        call.AddRange([0x85, (byte)'R', (byte)'0']); // TUPLE1, REDUCE, POP
        new TorchPthWriter { Prefix = [.. call] }.AddF16("w", [1], [1f]).Save(path);

        var ex = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("'os.system'", ex.Message);
    }

    [Fact]
    public void ForbiddenStackGlobalIsAnError()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("evil.pth");
        // protocol 4 style: SHORT_BINUNICODE 'builtins', MEMOIZE, SHORT_BINUNICODE 'eval', MEMOIZE, STACK_GLOBAL, POP
        var prefix = new List<byte> { 0x8c, 8 };
        prefix.AddRange(Encoding.ASCII.GetBytes("builtins"));
        prefix.AddRange([0x94, 0x8c, 4]);
        prefix.AddRange(Encoding.ASCII.GetBytes("eval"));
        prefix.AddRange([0x94, 0x93, (byte)'0']);
        new TorchPthWriter { Prefix = [.. prefix] }.AddF16("w", [1], [1f]).Save(path);

        var ex = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));

        Assert.Contains("'builtins.eval'", ex.Message);
    }

    [Fact]
    public void TruncatedPickleIsACorruptFileError()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("w.pth");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("w/data.pkl").Open())
            s.Write([0x80, 2, (byte)'c', (byte)'c', (byte)'o']);

        var ex = Assert.Throws<CheckpointException>(() => TorchCheckpoint.Load(path));

        Assert.Contains("corrupt data.pkl", ex.Message);
    }

    // ------------------------------------------------------------------ checked against the model

    [Fact]
    public void WrongShapeNamesTheFileTheTensorAndBothShapes()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("taesana_decoder.pth");
        TinyAutoencoderWeights.WritePth(path, TinyAutoencoderPart.Decoder, latentChannels: 32, seed: 1,
            mutate: p => p.Key == "8.conv.2.weight" ? p with { Shape = [128, 128, 1, 1] } : p);

        var ex = Assert.Throws<CheckpointException>(() => TinyAutoencoderCheckpoint.Open(tmp.Path, TinyAutoencoderPart.Decoder));

        Assert.Equal(path, ex.FilePath);
        Assert.Equal("8.conv.2.weight", ex.TensorName);
        Assert.Contains("has shape [128, 128, 1, 1]; expected [128, 128, 3, 3]", ex.Message);
    }

    [Fact]
    public void MissingAndUnexpectedTensorsAreNamed()
    {
        using var tmp = new TempFolder();
        string missing = tmp.File("missing_encoder.pth"), extra = tmp.File("extra_encoder.pth");
        TinyAutoencoderWeights.WritePth(missing, TinyAutoencoderPart.Encoder, 32, seed: 2, mutate: p => p.Key == "5.weight" ? null : p);
        TinyAutoencoderWeights.WritePth(extra, TinyAutoencoderPart.Encoder, 32, seed: 2, extra: ("18.weight", [1]));

        var a = Assert.Throws<CheckpointException>(() => TinyAutoencoderCheckpoint.Open(missing, TinyAutoencoderPart.Encoder));
        var b = Assert.Throws<CheckpointException>(() => TinyAutoencoderCheckpoint.Open(extra, TinyAutoencoderPart.Encoder));

        Assert.Equal(("5.weight", missing), (a.TensorName, a.FilePath));
        Assert.Contains("is missing", a.Message);
        Assert.Equal(("18.weight", extra), (b.TensorName, b.FilePath));
        Assert.Contains("is unexpected", b.Message);
    }

    [Fact]
    public void DecoderWeightsGivenAsTheEncoderAreRejected()
    {
        var ex = Assert.Throws<CheckpointException>(() => TinyAutoencoderCheckpoint.Open(PublishedDecoder, TinyAutoencoderPart.Encoder));

        Assert.Equal(PublishedDecoder, ex.FilePath);
        Assert.NotNull(ex.TensorName);
    }
}
