using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Models;

/// <summary>Shapes and configs the golden cases lack, on tiny random checkpoints written in-test.</summary>
public sealed class SanaTransformerRandomCheckpointTests
{
    private static readonly SanaTransformer2DConfig SprintTiny = new()
    {
        InChannels = 4, OutChannels = 4, NumAttentionHeads = 2, AttentionHeadDim = 8, NumLayers = 3,
        NumCrossAttentionHeads = 2, CrossAttentionHeadDim = 8, CrossAttentionDim = 16, CaptionChannels = 12,
        MlpRatio = 2.5, GuidanceEmbeds = true, QkNorm = SanaTransformer2DModel.RmsNormAcrossHeads,
    };

    private static Dictionary<string, (Array, long[])> Inputs(SanaTransformer2DConfig c, int batch, int h, int w, int text, int seed = 3)
    {
        var mask = new long[batch * text];
        for (int b = 0; b < batch; b++)
            for (int s = 0; s < text; s++) mask[b * text + s] = s < text - b ? 1 : 0; // a different padding per row
        var inputs = new Dictionary<string, (Array, long[])>
        {
            ["hidden_states"] = (TinyModels.Random(batch * c.InChannels * h * w, seed), [batch, c.InChannels, h, w]),
            ["encoder_hidden_states"] = (TinyModels.Random(batch * text * c.CaptionChannels, seed + 1), [batch, text, c.CaptionChannels]),
            ["encoder_attention_mask"] = (mask, [batch, text]),
            ["timestep"] = (Enumerable.Range(0, batch).Select(i => 0.2f + 0.3f * i).ToArray(), [batch]),
            ["guidance"] = (Enumerable.Repeat(0.45f, batch).ToArray(), [batch]),
        };
        return inputs;
    }

    private static string Export(TempFolder tmp, string component, ModelBuildOptions options, string name)
    {
        string path = tmp.File(name + ".onnx");
        ModelCatalog.Export(component, path, options);
        return path;
    }

    [Fact]
    public void StandardVariantWithPatchSizeTwoBiasesAndOtherOutChannelsRunsAtDynamicSizes()
    {
        using var tmp = new TempFolder();
        var config = new SanaTransformer2DConfig
        {
            InChannels = 4, OutChannels = 6, NumAttentionHeads = 3, AttentionHeadDim = 4, NumLayers = 1,
            NumCrossAttentionHeads = 2, CrossAttentionHeadDim = 6, CrossAttentionDim = 12, CaptionChannels = 10,
            MlpRatio = 2.0, PatchSize = 2, AttentionBias = true,
        };
        string dir = TinyModels.WriteTransformer(tmp.File("t"), config);
        string model = Export(tmp, dir, new ModelBuildOptions(), "std");

        // Same graph, two batch sizes and spatial sizes (non-square), no guidance input in the standard variant.
        foreach (var (batch, h, w) in new[] { (2, 6, 10), (1, 4, 4) })
        {
            var inputs = Inputs(config, batch, h, w, text: 5);
            inputs.Remove("guidance");
            var outputs = TinyModels.Run(model, inputs);
            var (data, shape) = outputs["sample"];
            Assert.Equal(new long[] { batch, 6, h, w }, shape);
            Assert.All(data, v => Assert.True(float.IsFinite(v)));
            Assert.True(data.Select(Math.Abs).Max() > 1e-3);
        }
    }

    [Fact]
    public void Fp16GraphOfARandomSprintCheckpointTracksFp32()
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), SprintTiny, dtype: SafetensorsDType.BF16);
        var inputs = Inputs(SprintTiny, 2, 6, 4, text: 7);
        var fp32 = TinyModels.Run(Export(tmp, dir, new ModelBuildOptions(), "fp32"), inputs)["sample"].Data;
        var fp16 = TinyModels.Run(Export(tmp, dir, new ModelBuildOptions { Precision = GraphPrecision.Fp16 }, "fp16"), inputs)["sample"].Data;
        Assert.InRange(TensorAssert.RelativeRms(fp32, fp16), 1e-6, 1e-2); // close, but really computed in fp16
    }

    [Fact]
    public void PaddedTextTokensDoNotChangeTheOutput()
    {
        // The mask bias must hide padded tokens: changing their embeddings changes nothing.
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), SprintTiny);
        string model = Export(tmp, dir, new ModelBuildOptions(), "m");
        var inputs = Inputs(SprintTiny, 1, 4, 4, text: 6);
        var mask = (long[])inputs["encoder_attention_mask"].Item1;
        mask[4] = mask[5] = 0;
        var a = TinyModels.Run(model, inputs)["sample"].Data;
        var text = (float[])inputs["encoder_hidden_states"].Item1;
        for (int i = 4 * SprintTiny.CaptionChannels; i < text.Length; i++) text[i] += 3f;
        var b = TinyModels.Run(model, inputs)["sample"].Data;
        TensorAssert.AllClose(a, b, 1e-5, 1e-5, "sample");
        text[0] += 3f; // a real token does matter
        var c = TinyModels.Run(model, inputs)["sample"].Data;
        Assert.False(TensorAssert.IsClose(a, c, 1e-5, 1e-5));
    }

    [Theory]
    [InlineData(ControlNetWiring.Diffusers)]
    [InlineData(ControlNetWiring.NvLabs)]
    public void ZeroControlResidualsLeaveTheOutputUnchangedAndEachResidualMatters(ControlNetWiring wiring)
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), SprintTiny);
        int tokens = 4 * 4, d = SprintTiny.InnerDim;
        var inputs = Inputs(SprintTiny, 1, 4, 4, text: 5);
        var plain = TinyModels.Run(Export(tmp, dir, new ModelBuildOptions(), "plain"), inputs)["sample"].Data;
        string controlled = Export(tmp, dir, new ModelBuildOptions { ControlBlocks = 2, ControlNetWiring = wiring }, "control");

        inputs["controlnet_block_samples_0"] = (new float[tokens * d], [1, tokens, d]);
        inputs["controlnet_block_samples_1"] = (new float[tokens * d], [1, tokens, d]);
        var zero = TinyModels.Run(controlled, inputs)["sample"].Data;
        TensorAssert.AllClose(plain, zero, 1e-6, 1e-6, "sample");

        for (int i = 0; i < 2; i++)
        {
            var withOne = new Dictionary<string, (Array, long[])>(inputs) { [$"controlnet_block_samples_{i}"] = (TinyModels.Random(tokens * d, 50 + i), [1, tokens, d]) };
            var y = TinyModels.Run(controlled, withOne)["sample"].Data;
            Assert.False(TensorAssert.IsClose(plain, y, 1e-4, 1e-4));
        }
    }

    [Fact]
    public void WiringsAddTheSameResidualAfterDifferentBlocks()
    {
        // NVlabs adds residual 0 after block 0, diffusers after block 1: the same input gives different outputs.
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), SprintTiny);
        int tokens = 16, d = SprintTiny.InnerDim;
        var inputs = Inputs(SprintTiny, 1, 4, 4, text: 5);
        inputs["controlnet_block_samples_0"] = (TinyModels.Random(tokens * d, 9), [1, tokens, d]);
        var diffusers = TinyModels.Run(Export(tmp, dir, new ModelBuildOptions { ControlBlocks = 1 }, "d"), inputs)["sample"].Data;
        var nvlabs = TinyModels.Run(Export(tmp, dir, new ModelBuildOptions { ControlBlocks = 1, ControlNetWiring = ControlNetWiring.NvLabs }, "n"), inputs)["sample"].Data;
        Assert.False(TensorAssert.IsClose(diffusers, nvlabs, 1e-4, 1e-4));
    }

    [Fact]
    public void GraphNamesFollowModulePathsAndWeightKeys()
    {
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), SprintTiny);
        var config = ComponentConfig.Load(dir);
        using var weights = SafetensorsCheckpoint.Open(dir);
        var g = ModelCatalog.Build(config, weights, new ModelBuildOptions());
        var nodes = g.Graph.Node.Select(n => n.Name).ToHashSet();
        Assert.Contains("transformer_blocks.2.attn1.to_q/FusedMatMul", nodes);
        Assert.Contains("transformer_blocks.0.attn2.norm_k/SimplifiedLayerNormalization", nodes);
        Assert.Contains("transformer_blocks.0.attn2/MultiHeadAttention", nodes);
        Assert.Contains("transformer_blocks.1.ff.conv_depth/Conv", nodes);
        Assert.Equal(nodes.Count, g.Graph.Node.Count);
        Assert.Equal(weights.Names.Order(), g.Weights.Select(w => w.Name).Order());
        Assert.Equal(["hidden_states", "encoder_hidden_states", "encoder_attention_mask", "timestep", "guidance"], g.Graph.Input.Select(i => i.Name));
        Assert.Equal(["sample"], g.Graph.Output.Select(o => o.Name));
    }

    [Fact]
    public void ASprintBlockIsAtMost70NodesAndFloat16AddsNoCastWhereTheOpComputesInFloat32()
    {
        // A block's node count depends on the config's structure (qk-norm, biases, guidance), not on its widths.
        using var tmp = new TempFolder();
        string dir = TinyModels.WriteTransformer(tmp.File("t"), SprintTiny);
        var config = ComponentConfig.Load(dir);
        using var weights = SafetensorsCheckpoint.Open(dir);

        var fp32 = ModelCatalog.Build(config, weights, new ModelBuildOptions());
        var block = BlockNodes(fp32, 1);
        Assert.InRange(block.Count, 1, 70);
        // Nothing that is the same for every block is made inside one.
        Assert.DoesNotContain(block, n => n.OpType is "Cast" or "Concat" or "Shape");
        Assert.Equal(block.Count, BlockNodes(fp32, 0).Count);

        // float16: the norms and the cross-attention compute in float32 inside their kernels; the only casts in a block
        // are the linear attention's upcast of q, k, v and its output (diffusers' SanaLinearAttnProcessor2_0 does the same).
        var fp16 = ModelCatalog.Build(config, weights, new ModelBuildOptions { Precision = GraphPrecision.Fp16 });
        var casts = BlockNodes(fp16, 1).Where(n => n.OpType == "Cast").Select(n => n.Name).Order().ToList();
        Assert.Equal(["transformer_blocks.1.attn1/k/fp32/Cast", "transformer_blocks.1.attn1/output/Cast",
            "transformer_blocks.1.attn1/q/fp32/Cast", "transformer_blocks.1.attn1/v/fp32/Cast"], casts);
        Assert.InRange(BlockNodes(fp16, 1).Count, 1, 70 + casts.Count);
    }

    private static List<SanaSprint.Inference.Onnx.Proto.NodeProto> BlockNodes(SanaSprint.Inference.Onnx.GraphBuilder g, int index) =>
        [.. g.Graph.Node.Where(n => n.Name.StartsWith($"transformer_blocks.{index}.", StringComparison.Ordinal)
                                  || n.Name.StartsWith($"transformer_blocks.{index}/", StringComparison.Ordinal))];
}
