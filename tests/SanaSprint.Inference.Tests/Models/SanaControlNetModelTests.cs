using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Models;

public sealed class SanaControlNetModelTests
{
    [Fact]
    public void NvLabsWiringStartsFromMainBlockZeroAndFeedsTheTransformer()
    {
        // Golden controlnet_tiny on the standard transformer of transformer_with_control_tiny (same widths).
        using var tmp = new TempFolder();
        string controlnet = TestPaths.GoldenCase("controlnet_tiny");
        string transformer = TestPaths.GoldenCase("transformer_with_control_tiny");
        var nv = new ModelBuildOptions { ControlNetWiring = ControlNetWiring.NvLabs, BaseTransformerDirectory = transformer };
        string cnPath = tmp.File("cn_nvlabs.onnx");
        ModelCatalog.Export(controlnet, cnPath, nv);
        string diffPath = tmp.File("cn_diffusers.onnx");
        ModelCatalog.Export(controlnet, diffPath, new ModelBuildOptions());

        using var golden = GoldenCase.Open(controlnet);
        var inputs = golden.InputKeys.ToDictionary(GoldenCase.GraphName, k =>
        {
            var t = golden.Read(k);
            return ((Array)(t.Longs ?? (Array)t.AsFloats()), t.Shape);
        });
        var nvOut = TinyModels.Run(cnPath, inputs);
        var diffOut = TinyModels.Run(diffPath, inputs);
        Assert.Equal(["block_0", "block_1"], nvOut.Keys.Order());
        // The diffusers-wired graph reproduces the reference; the NVlabs one starts elsewhere, so differs.
        TensorAssert.AllClose(golden.Read("out.block_0").AsFloats(), diffOut["block_0"].Data, 1e-4, 1e-4, "block_0");
        Assert.False(TensorAssert.IsClose(diffOut["block_0"].Data, nvOut["block_0"].Data, 1e-3, 1e-3));

        // The graph holds the base model's block 0 under 'transformer.' and the ControlNet's own blocks unprefixed.
        var config = ComponentConfig.Load(controlnet);
        using var weights = SafetensorsCheckpoint.Open(controlnet);
        var g = ModelCatalog.Build(config, weights, nv);
        Assert.Contains(g.Weights, w => w.Name == "transformer.transformer_blocks.0.attn1.to_q.weight");
        Assert.DoesNotContain(g.Weights, w => w.Name == "transformer.transformer_blocks.1.attn1.to_q.weight");
        Assert.Contains(g.Weights, w => w.Name == "transformer_blocks.1.attn1.to_q.weight");

        // Its residuals drive an NVlabs-wired transformer.
        string tPath = tmp.File("t_nvlabs.onnx");
        ModelCatalog.Export(transformer, tPath, new ModelBuildOptions { ControlBlocks = 2, ControlNetWiring = ControlNetWiring.NvLabs });
        var tInputs = new Dictionary<string, (Array, long[])>(inputs)
        {
            ["controlnet_block_samples_0"] = ((Array)nvOut["block_0"].Data, nvOut["block_0"].Shape),
            ["controlnet_block_samples_1"] = ((Array)nvOut["block_1"].Data, nvOut["block_1"].Shape),
        };
        var sample = TinyModels.Run(tPath, tInputs)["sample"];
        Assert.Equal(golden.Read("in.hidden_states").Shape, sample.Shape);
        Assert.All(sample.Data, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void NvLabsControlNetOnASprintBaseTakesGuidanceAndUsesTheBaseConditioning()
    {
        var config = ComponentConfig.Load(TestPaths.GoldenCase("controlnet_tiny"));
        using var weights = SafetensorsCheckpoint.Open(config.Directory);
        var g = ModelCatalog.Build(config, weights, new ModelBuildOptions
        {
            ControlNetWiring = ControlNetWiring.NvLabs,
            BaseTransformerDirectory = TestPaths.GoldenCase("transformer_sprint_with_control_tiny"),
        });
        Assert.Contains("guidance", g.Graph.Input.Select(i => i.Name));
        Assert.Contains(g.Weights, w => w.Name == "transformer.time_embed.guidance_embedder.linear_1.weight");
        Assert.Contains(g.Weights, w => w.Name == "transformer.transformer_blocks.0.attn1.norm_q.weight"); // Sprint block 0 has qk-norm
        Assert.DoesNotContain(g.Weights, w => w.Name.StartsWith("time_embed.", StringComparison.Ordinal)); // the ControlNet's copy is unused
    }

    [Fact]
    public void NvLabsWiringWithoutBaseTransformerIsAnArgumentError()
    {
        using var tmp = new TempFolder();
        var ex = Assert.Throws<ArgumentException>(() => ModelCatalog.Export(TestPaths.GoldenCase("controlnet_tiny"), tmp.File("x.onnx"),
            new ModelBuildOptions { ControlNetWiring = ControlNetWiring.NvLabs }));
        Assert.Contains("BaseTransformerDirectory", ex.Message);
    }

    [Fact]
    public void ConditioningScaleScalesEveryResidual()
    {
        using var tmp = new TempFolder();
        var config = new SanaControlNetConfig
        {
            InChannels = 4, NumAttentionHeads = 2, AttentionHeadDim = 4, NumLayers = 3, NumCrossAttentionHeads = 2,
            CrossAttentionHeadDim = 4, CrossAttentionDim = 8, CaptionChannels = 6, MlpRatio = 2,
        };
        string dir = TinyModels.WriteControlNet(tmp.File("cn"), config);
        string model = tmp.File("cn.onnx");
        ModelCatalog.Export(dir, model, new ModelBuildOptions());
        var inputs = new Dictionary<string, (Array, long[])>
        {
            ["hidden_states"] = (TinyModels.Random(2 * 4 * 3 * 5, 1), [2, 4, 3, 5]),
            ["controlnet_cond"] = (TinyModels.Random(2 * 4 * 3 * 5, 2), [2, 4, 3, 5]),
            ["encoder_hidden_states"] = (TinyModels.Random(2 * 3 * 6, 3), [2, 3, 6]),
            ["encoder_attention_mask"] = (new long[] { 1, 1, 1, 1, 1, 0 }, [2, 3]),
            ["timestep"] = (new float[] { 500f, 20f }, [2]),
            ["conditioning_scale"] = (new float[] { 1f }, [1]),
        };
        var one = TinyModels.Run(model, inputs);
        inputs["conditioning_scale"] = (new float[] { 0.5f }, [1]);
        var half = TinyModels.Run(model, inputs);
        Assert.Equal(3, one.Count);
        foreach (var (name, (data, shape)) in one)
        {
            Assert.Equal(new long[] { 2, 15, 8 }, shape);
            var expected = data.Select(v => v * 0.5f).ToArray();
            TensorAssert.AllClose(expected, half[name].Data, 1e-6, 1e-6, name);
        }
    }
}
