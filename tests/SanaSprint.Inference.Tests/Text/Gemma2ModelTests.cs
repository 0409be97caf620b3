using System.Text.Json;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Text;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Text;

public sealed class Gemma2ModelTests
{
    internal static OnnxSessionFactory CpuSessions { get; } =
        new(new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "tests run on CPU", null), new InferenceOptions());

    private static string TinyTextEncoder => Path.Combine(TestPaths.GoldenCase("text", "gemma2_tiny"), "text_encoder");

    public static TheoryData<Gemma2AttentionImplementation> Attentions() =>
        [Gemma2AttentionImplementation.Eager, Gemma2AttentionImplementation.Sdpa];

    [Theory]
    [MemberData(nameof(Attentions))]
    public void LastHiddenStateMatchesTransformersOnRealTokens(Gemma2AttentionImplementation attention)
    {
        using var golden = GoldenCase.Open(TestPaths.GoldenCase("text", "gemma2_tiny"));
        var ids = golden.Read("in.input_ids");
        var mask = golden.Read("in.attention_mask").AsLongs();
        var expected = golden.Read($"out.last_hidden_state.{attention.ToString().ToLowerInvariant()}");
        var options = new Gemma2GraphOptions { Attention = attention };
        using var temp = new TempFolder();
        using var encoder = Gemma2TextEncoder.Load(TinyTextEncoder, CpuSessions, temp.Path, options);

        var actual = encoder.Encode(new TokenizedBatch(ids.AsLongs(), mask, (int)ids.Shape[0], (int)ids.Shape[1]));

        Assert.Equal(expected.Shape.Aggregate(1L, (a, b) => a * b), actual.Length);
        var (real, padded) = SplitByMask(actual, expected.AsFloats(), mask, encoder.HiddenSize);
        Assert.True(padded.Actual.Length > 0, "the golden batch should have padding");
        TensorAssert.AllClose(real.Expected, real.Actual, 1e-4, 1e-4, "last_hidden_state[real]");
        Assert.All(padded.Actual, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void SoftcappingChangesTheResult()
    {
        using var golden = GoldenCase.Open(TestPaths.GoldenCase("text", "gemma2_tiny"));
        var eager = golden.Read("out.last_hidden_state.eager").AsFloats();
        var sdpa = golden.Read("out.last_hidden_state.sdpa").AsFloats();
        // The golden weights make logits large enough for the cap to matter; the two graphs must differ as the references do.
        Assert.True(eager.Zip(sdpa).Max(p => Math.Abs(p.First - p.Second)) > 1e-2);
    }

    [Fact]
    public void GraphHasTheEncoderInputsAndOutput()
    {
        var (graph, checkpoint, _) = Gemma2Model.BuildFromDirectory(TinyTextEncoder);
        using (checkpoint)
        {
            Assert.Equal(["input_ids", "attention_mask"], graph.Graph.Input.Select(i => i.Name));
            Assert.Equal(["last_hidden_state"], graph.Graph.Output.Select(o => o.Name));
            Assert.All(graph.Graph.Input, i => Assert.Equal((int)SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType.Int64, i.Type.TensorType.ElemType));
            Assert.Contains(graph.Graph.Node, n => n.Name == "layers.0.self_attn.q_proj/Gemm");
            Assert.Contains(graph.Weights, w => w.Key == "layers.2.post_feedforward_layernorm.weight");
            Assert.Empty(checkpoint.UnusedNames);
        }
    }

    [Theory]
    [MemberData(nameof(Attentions))]
    public void OtherSizesMatchAPlainReference(Gemma2AttentionImplementation attention)
    {
        // heads × head_dim (3 × 10) ≠ hidden (24), one kv head, query_pre_attn_scalar (7) ≠ head_dim, sliding window 3,
        // bf16 weights in two shards with an index, "model." prefix as in a raw Gemma2ForCausalLM.
        var config = new Gemma2Config
        {
            VocabSize = 50, HiddenSize = 24, IntermediateSize = 40, NumHiddenLayers = 3, NumAttentionHeads = 3,
            NumKeyValueHeads = 1, HeadDim = 10, QueryPreAttnScalar = 7, SlidingWindow = 3, AttnLogitSoftcapping = 3.0,
            RopeTheta = 100.0,
        };
        using var temp = new TempFolder();
        var weights = TinyGemma.Write(temp.Path, config, seed: 7, prefix: "model.");
        long[] ids = [2, 17, 5, 33, 8, 41, 9, 12, 3, 2, 44, 6, 0, 0, 0, 0, 0, 0];
        long[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
        const int batch = 2, length = 9;

        var options = new Gemma2GraphOptions { Attention = attention };
        using var encoder = Gemma2TextEncoder.Load(temp.Path, CpuSessions, Path.Combine(temp.Path, "graph"), options);
        var actual = encoder.Encode(new TokenizedBatch(ids, mask, batch, length));
        var expected = TinyGemma.Reference(config, weights, ids, mask, batch, length,
            softcap: attention == Gemma2AttentionImplementation.Eager);

        var (real, padded) = SplitByMask(actual, expected, mask, config.HiddenSize);
        TensorAssert.AllClose(real.Expected, real.Actual, 1e-4, 1e-4, "last_hidden_state[real]");
        Assert.All(padded.Actual, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ASecondLoadTakesTheGraphFromTheCache()
    {
        // bf16 shards: the first load converts the weights once, the second finds the graph by content hash.
        var config = new Gemma2Config { VocabSize = 40, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 8 };
        using var temp = new TempFolder();
        string folder = Directory.CreateDirectory(temp.File("text_encoder")).FullName;
        TinyGemma.Write(folder, config, seed: 5, prefix: "");
        var cache = new SanaSprint.Inference.Onnx.GraphCache(temp.File("cache"));
        var tokens = new TokenizedBatch([2, 7, 9, 0], [1, 1, 1, 0], 1, 4);

        using var first = Gemma2TextEncoder.Load(folder, CpuSessions, cache);
        using var second = Gemma2TextEncoder.Load(folder, CpuSessions, cache);
        using var sdpa = Gemma2TextEncoder.Load(folder, CpuSessions, cache, new Gemma2GraphOptions { Attention = Gemma2AttentionImplementation.Sdpa });

        Assert.False(first.GraphFromCache);
        Assert.True(second.GraphFromCache);
        Assert.False(sdpa.GraphFromCache);
        Assert.Equal(first.Encode(tokens), second.Encode(tokens));
    }

    [Fact]
    public void TheCatalogExportsTheTextEncoderFolder()
    {
        var config = ComponentConfig.Load(TinyTextEncoder);
        Assert.Equal(Gemma2Model.ClassName, config.ClassName);
        Assert.Contains(Gemma2Model.ClassName, ModelCatalog.SupportedClassNames);
        using var temp = new TempFolder();
        var saved = ModelCatalog.Export(TinyTextEncoder, temp.File("text_encoder.onnx"), new ModelBuildOptions());
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(saved.ModelPath);
        long[] ids = [2, 17, 5, 0], mask = [1, 1, 1, 0];
        using var idsValue = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(ids, [1, 4]);
        using var maskValue = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(mask, [1, 4]);
        using var outputs = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), ["input_ids", "attention_mask"], [idsValue, maskValue], ["last_hidden_state"]);
        Assert.Equal([1L, 4, 64], outputs[0].GetTensorTypeAndShape().Shape);
        Assert.All(outputs[0].GetTensorDataAsSpan<float>().ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void AWeightWithTheWrongShapeIsNamed()
    {
        var config = new Gemma2Config { VocabSize = 20, HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 4 };
        using var temp = new TempFolder();
        TinyGemma.Write(temp.Path, config with { HeadDim = 6 }, seed: 1, prefix: "");
        File.WriteAllText(Path.Combine(temp.Path, "config.json"), JsonSerializer.Serialize(config));
        var e = Assert.Throws<CheckpointException>(() => Gemma2Model.BuildFromDirectory(temp.Path));
        Assert.Contains("layers.0.self_attn.q_proj.weight", e.Message);
        Assert.Contains("model-00001-of-00002.safetensors", e.Message);
    }

    [Fact]
    public void AMissingWeightIsNamed()
    {
        var config = new Gemma2Config { VocabSize = 20, HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 4 };
        using var temp = new TempFolder();
        TinyGemma.Write(temp.Path, config with { NumHiddenLayers = 1 }, seed: 1, prefix: "");
        File.WriteAllText(Path.Combine(temp.Path, "config.json"), JsonSerializer.Serialize(config));
        var e = Assert.Throws<CheckpointException>(() => Gemma2Model.BuildFromDirectory(temp.Path));
        Assert.Contains("layers.1.", e.Message);
    }

    [Fact]
    public void AConfigOfAnotherModelIsRejected()
    {
        using var temp = new TempFolder();
        File.WriteAllText(Path.Combine(temp.Path, "config.json"), """{"model_type": "llama", "hidden_size": 8}""");
        var e = Assert.Throws<CheckpointException>(() => Gemma2Config.Load(temp.Path));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("gemma2", e.Message);
    }

    [Fact]
    public void IndivisibleHeadsAreRejected()
    {
        var e = Assert.Throws<CheckpointException>(() => new Gemma2Config { NumAttentionHeads = 3, NumKeyValueHeads = 2 }.Validate("te/config.json"));
        Assert.Contains("te/config.json", e.Message);
        Assert.Contains("num_key_value_heads", e.Message);
    }

    [Fact]
    public void EvenLayersSlide()
    {
        var config = new Gemma2Config();
        Assert.True(config.IsSlidingLayer(0));
        Assert.False(config.IsSlidingLayer(1));
        Assert.True(config.IsSlidingLayer(24));
        Assert.False((config with { SlidingWindow = null }).IsSlidingLayer(0));
    }

    internal static ((float[] Actual, float[] Expected) Real, (float[] Actual, float[] Expected) Padded) SplitByMask(
        float[] actual, float[] expected, long[] mask, int hidden)
    {
        List<float> ra = [], re = [], pa = [], pe = [];
        for (int t = 0; t < mask.Length; t++)
        {
            var (a, e) = mask[t] != 0 ? (ra, re) : (pa, pe);
            a.AddRange(actual.AsSpan(t * hidden, hidden).ToArray());
            e.AddRange(expected.AsSpan(t * hidden, hidden).ToArray());
        }

        return (([.. ra], [.. re]), ([.. pa], [.. pe]));
    }
}
