using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using Google.Protobuf.Collections;
using SanaSprint.Inference.Onnx.Proto;

namespace SanaSprint.Inference.Tests.Models;

/// <summary>
/// Lint of the graphs for the CUDA configuration, over what the loader builds through <see cref="ModelCatalog"/> for the
/// demo checkpoint and the small random golden checkpoints, fp32 and fp16, plus the DC-AE built at a fixed size: every
/// (op, domain, element type) has a CUDA kernel, fixed-size graphs have no control flow and no <c>Shape</c> nodes, fp16
/// builds keep their fp32 islands.
/// </summary>
/// <remarks>
/// The loader's DC-AE graphs are dynamic-size (an <c>If</c> per EfficientViT block picks the attention branch from the
/// H·W it meets, as diffusers does per call); fixed-size builds exist (<see cref="AutoencoderDCBuildOptions.InputSize"/>)
/// and are what CUDA graphs can capture. The transformer and ControlNet have no control flow at any size.
/// </remarks>
public sealed class CudaGraphLintTests
{
    private const int FixedSize = 256;

    public static TheoryData<string, GraphPrecision> Cases() => new()
    {
        { "demo", GraphPrecision.Fp32 },
        { "demo", GraphPrecision.Fp16 },
        { "random", GraphPrecision.Fp32 },
        { "random", GraphPrecision.Fp16 },
    };

    private static List<(string Name, GraphBuilder Graph)> Graphs(string checkpoint, GraphPrecision precision, string scratch) =>
    [
        .. LintGraphs.Build(checkpoint, precision, scratch),
        .. LintGraphs.FixedSizeAutoencoder(checkpoint, precision, scratch, FixedSize).Select(g => ($"{g.Name} {FixedSize}²", g.Graph)),
    ];

    /// <summary>Every node, including those of <c>If</c> branches.</summary>
    private static IEnumerable<NodeProto> AllNodes(GraphProto graph) =>
        graph.Node.SelectMany(n => n.Attribute.Where(a => a.G is not null).SelectMany(a => AllNodes(a.G)).Prepend(n));

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryOpAndElementTypeHasACudaKernel(string checkpoint, GraphPrecision precision)
    {
        using var tmp = new TempFolder("lint");
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        int checkedTypes = 0;
        foreach (var (name, g) in Graphs(checkpoint, precision, tmp.Path))
        {
            foreach (var n in AllNodes(g.Graph))
            {
                if (!CudaKernelTable.Kernels.TryGetValue((n.Domain, n.OpType), out var types))
                {
                    missing.Add($"{name}: {n.Domain}:{n.OpType} (no CUDA kernel listed)");
                    continue;
                }

                foreach (var value in n.Input.Concat(n.Output).Where(v => v.Length > 0))
                {
                    if (g.TypeOf(value) is not { } t) continue;
                    checkedTypes++;
                    if (!types.Contains(t.ToString())) missing.Add($"{name}: {n.Domain}:{n.OpType} on {t}");
                }
            }
        }

        Assert.True(missing.Count == 0, string.Join("\n", missing));
        Assert.True(checkedTypes > 100, $"only {checkedTypes} typed values were checked");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FixedSizeGraphsHaveNoControlFlowAndNoShapeNodes(string checkpoint, GraphPrecision precision)
    {
        using var tmp = new TempFolder("lint");
        string[] controlFlow = ["If", "Loop", "Scan"];
        foreach (var (name, g) in LintGraphs.Build(checkpoint, precision, tmp.Path).Where(g => g.Name is "transformer" or "controlnet"))
            Assert.DoesNotContain(AllNodes(g.Graph), n => controlFlow.Contains(n.OpType));

        foreach (var (name, g) in LintGraphs.FixedSizeAutoencoder(checkpoint, precision, tmp.Path, FixedSize))
        {
            var nodes = AllNodes(g.Graph).ToList();
            Assert.DoesNotContain(nodes, n => controlFlow.Contains(n.OpType));
            // Every graph input dimension is fixed but the batch.
            Assert.All(g.Graph.Input, i => Assert.All(i.Type.TensorType.Shape.Dim.Skip(1), d => Assert.True(d.DimValue > 0, $"{name}: {i.Name} has a symbolic dimension")));
        }
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("random")]
    public void Fp16BuildsKeepTheirFp32Islands(string checkpoint)
    {
        using var tmp = new TempFolder("lint");
        foreach (var (name, g) in Graphs(checkpoint, GraphPrecision.Fp16, tmp.Path))
        {
            // Graph inputs and outputs are float32 (int64 masks, the decoder's uint8 image): callers never convert.
            var io = g.Graph.Input.Concat(g.Graph.Output).Select(v => (TensorProto.Types.DataType)v.Type.TensorType.ElemType);
            Assert.All(io, t => Assert.Contains(t, new[] { TensorProto.Types.DataType.Float, TensorProto.Types.DataType.Int64, TensorProto.Types.DataType.Uint8 }));
            var nodes = AllNodes(g.Graph).ToList();
            foreach (var n in nodes)
            {
                // Sinusoidal embeddings (Sin, Cos) and every MatMul (the linear attentions' KᵀV and their normaliser) are fp32 islands.
                if (n.OpType is "Sin" or "Cos" or "MatMul")
                    Assert.All(n.Input.Where(v => g.TypeOf(v) is not null), v => Assert.Equal(TensorProto.Types.DataType.Float, g.TypeOf(v)));
                // Norm statistics are float32 (stash_type 1, the default, on LayerNormalization and SimplifiedLayerNormalization).
                if (n.OpType is "LayerNormalization" or "SimplifiedLayerNormalization")
                    Assert.All(n.Attribute.Where(a => a.Name == "stash_type"), a => Assert.Equal(1, a.I));
            }

            // The heavy work is fp16: every convolution and fused projection.
            var heavy = nodes.Where(n => n.OpType is "Conv" or "FusedMatMul").ToList();
            Assert.NotEmpty(heavy);
            Assert.All(heavy, n => Assert.Equal(TensorProto.Types.DataType.Float16, g.TypeOf(n.Output[0])));
        }
    }

    /// <summary>
    /// Writes the graph as ONNX Runtime optimises it (basic level: constant folding) with the symbolic dimensions fixed by
    /// free-dimension overrides, as a session for one served shape sees it.
    /// </summary>
    private static RepeatedField<NodeProto> OptimizedWithOverrides(string model, params (string Dim, long Value)[] overrides)
    {
        string optimized = Path.ChangeExtension(model, ".optimized.onnx");
        using (var so = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, OptimizedModelFilePath = optimized })
        {
            foreach (var (dim, value) in overrides) so.AddFreeDimensionOverrideByName(dim, value);
            using var session = new InferenceSession(model, so);
        }

        return ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node;
    }

    [Fact]
    public void AfterFreeDimensionOverridesNoShapeNodesRemain()
    {
        using var tmp = new TempFolder("lint");
        var (transformer, controlNet, _) = LintGraphs.Folders("demo", tmp.Path);
        int blocks = ModelCatalog.Describe(SanaSprint.Inference.Checkpoints.ComponentConfig.Load(controlNet)).ControlBlocks;
        var models = new List<(string Name, string Path)>();
        foreach (var (name, folder, options) in new[]
                 {
                     ("transformer", transformer, new ModelBuildOptions { ControlBlocks = blocks }),
                     ("controlnet", controlNet, new ModelBuildOptions()),
                 })
        {
            string model = Path.Combine(tmp.Path, name, "model.onnx");
            ModelCatalog.Export(folder, model, options);
            models.Add((name, model));
        }

        models.AddRange(LintGraphs.SaveFixedSizeAutoencoder("demo", tmp.Path, FixedSize, Path.Combine(tmp.Path, "fixed")));
        foreach (var (name, model) in models)
        {
            Assert.True(ModelProto.Parser.ParseFrom(File.ReadAllBytes(model)).Graph.Node.Any(n => n.OpType == "Shape"), $"{name}: the build has Shape nodes to fold");
            // The served frame: one 256² image (8×8 latent cells, 64 tokens), a 300-token prompt.
            var nodes = OptimizedWithOverrides(model, ("batch", 1), ("height", 8), ("width", 8), ("text_len", 300), ("tokens", 64));
            Assert.NotEmpty(nodes);
            Assert.True(!nodes.Any(n => n.OpType == "Shape"), $"{name}: Shape nodes remain: {string.Join(", ", nodes.Where(n => n.OpType == "Shape").Select(n => n.Name).Take(5))}");
        }
    }
}
