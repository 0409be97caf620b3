using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Onnx.Proto;
using SanaSprint.Inference.Tests.TestSupport;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Tests.Onnx;

public sealed class GraphBuilderTests
{
    private static float[] Run(string modelPath, string input, float[] data, long[] shape, string output)
    {
        using var session = new InferenceSession(modelPath);
        using var x = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var outputs = session.Run(new RunOptions(), [input], [x], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>y = x·Wᵀ + b with W [2, 3] from a safetensors file.</summary>
    private static GraphBuilder LinearGraph(SafetensorsCheckpoint ckpt, GraphPrecision precision)
    {
        var g = new GraphBuilder("linear", precision, ckpt);
        var x = g.Input("x", DT.Float, "batch", 3L);
        var xc = g.CastIfNeeded("proj/input", x, g.ComputeType);
        var w = g.Weight("proj.weight", [2, 3]);
        var b = g.Weight("proj.bias", [2]);
        var y = g.Add("proj", g.MatMul("proj", xc, g.Transpose("proj", w, 1, 0)), b);
        g.Output(g.CastIfNeeded("proj/output", y, DT.Float), "y", "batch", 2L);
        return g;
    }

    private static readonly float[] W = [1, 2, 3, -1, 0.5f, 0.25f];
    private static readonly float[] B = [0.5f, -0.5f];
    private static readonly float[] X = [1, 1, 1, 2, 0, -1];
    private static readonly float[] Y = [6.5f, -0.75f, -0.5f, -2.75f];

    [Theory]
    [InlineData(WeightStorage.SingleFile, "F32")]
    [InlineData(WeightStorage.ReferenceCheckpoint, "F32")]
    [InlineData(WeightStorage.ReferenceCheckpoint, "BF16")]
    public void SavedGraphRunsInOnnxRuntimeWithExternalWeights(WeightStorage storage, string dtype)
    {
        using var tmp = new TempFolder();
        string ckptDir = Directory.CreateDirectory(tmp.File("ckpt")).FullName;
        var writer = new SafetensorsWriter();
        if (dtype == "F32") writer.AddF32("proj.weight", [2, 3], W).AddF32("proj.bias", [2], B);
        else writer.AddBF16("proj.weight", [2, 3], W).AddBF16("proj.bias", [2], B);
        writer.Save(Path.Combine(ckptDir, "diffusion_pytorch_model.safetensors"));

        using var ckpt = SafetensorsCheckpoint.Open(ckptDir);
        var g = LinearGraph(ckpt, GraphPrecision.Fp32);
        string model = Path.Combine(tmp.File("graph"), "model.onnx");
        var saved = OnnxModelWriter.Save(g, model, storage);

        // fp32 weights are referenced in place when allowed; bf16 ones must be converted.
        bool referenced = storage == WeightStorage.ReferenceCheckpoint && dtype == "F32";
        Assert.Equal(referenced, saved.ReferencedFiles.Count == 1);
        Assert.Equal(!referenced, saved.DataPath is not null);
        Assert.True(saved.GraphBytes < 4096);

        var y = Run(model, "x", X, [2, 3], "y");
        Assert.Equal(Y, y);
    }

    [Fact]
    public void Fp16GraphKeepsFloat32InputsAndOutputs()
    {
        using var tmp = new TempFolder();
        new SafetensorsWriter().AddF32("proj.weight", [2, 3], W).AddF32("proj.bias", [2], B).Save(tmp.File("w.safetensors"));
        using var ckpt = SafetensorsCheckpoint.Open(tmp.File("w.safetensors"));
        var g = LinearGraph(ckpt, GraphPrecision.Fp16);
        Assert.All(g.Weights, w => Assert.Equal(DT.Float16, w.Type));
        string model = tmp.File("fp16.onnx");
        OnnxModelWriter.Save(g, model, WeightStorage.SingleFile);
        var y = Run(model, "x", X, [2, 3], "y");
        for (int i = 0; i < Y.Length; i++) Assert.Equal(Y[i], y[i], 2);
    }

    [Fact]
    public void NodesAreNamedByModulePathAndConstantsAreShared()
    {
        var g = new GraphBuilder("names", GraphPrecision.Fp32, null);
        var x = g.Input("x", DT.Float, "b", 4L);
        var a = g.Reshape("blocks.0.attn1", x, 0, 2, 2);
        var c = g.Reshape("blocks.0.attn1/kv", a, 0, 2, 2);
        Assert.Equal("blocks.0.attn1/Reshape/output_0", a.Name);
        Assert.Equal("blocks.0.attn1/kv/Reshape/output_0", c.Name);
        Assert.Equal(new long[] { -1, 2, 2 }, c.Shape);
        // the shape constant [0, 2, 2] exists once
        Assert.Single(g.Graph.Initializer, t => t.Name == "constants/INT64/[0, 2, 2]");
        var ex = Assert.Throws<InvalidOperationException>(() => g.Reshape("blocks.0.attn1", x, 0, 4));
        Assert.Contains("blocks.0.attn1/Reshape", ex.Message);
        Assert.Equal("constants/FLOAT/1E-15", g.Scalar(1e-15, DT.Float).Name);
    }

    [Fact]
    public void WeightWithWrongShapeNamesFileTensorAndReason()
    {
        using var tmp = new TempFolder();
        string path = tmp.File("w.safetensors");
        new SafetensorsWriter().AddF32("proj.weight", [2, 3], W).Save(path);
        using var ckpt = SafetensorsCheckpoint.Open(path);
        var g = new GraphBuilder("bad", GraphPrecision.Fp32, ckpt);
        var ex = Assert.Throws<CheckpointException>(() => g.Weight("proj.weight", [3, 3], "out_features × in_features"));
        Assert.Contains(path, ex.Message);
        Assert.Contains("'proj.weight' has shape [2, 3]; expected [3, 3] (out_features × in_features)", ex.Message);
    }

    [Fact]
    public void ModelProtoUsesOfficialFieldNumbers()
    {
        // ir_version is field 1 (varint) and graph is field 7 (length-delimited) in onnx.proto.
        var m = new ModelProto { IrVersion = 10, Graph = new GraphProto { Name = "g" } };
        byte[] bytes = Google.Protobuf.MessageExtensions.ToByteArray(m);
        Assert.Equal(new byte[] { 0x08, 10, 0x3A, 3, 0x12, 1, (byte)'g' }, bytes);
        var t = new TensorProto { DataLocation = TensorProto.Types.DataLocation.External };
        Assert.Equal(new byte[] { 14 << 3, 1 }, Google.Protobuf.MessageExtensions.ToByteArray(t));
    }
}
