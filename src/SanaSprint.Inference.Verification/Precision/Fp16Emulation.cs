using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Onnx.Proto;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Verification.Precision;

/// <summary>
/// Turns a graph built at <see cref="GraphPrecision.Fp16"/> into its fp16 emulation: a float32 graph that rounds every value
/// the fp16 build holds in fp16 through a <c>Cast(to=FLOAT16) → Cast(to=FLOAT)</c> pair, and leaves the fp32 islands (norm
/// statistics, softmax, the linear attention's sums: the values that are float32 in the fp16 build) unrounded. Weights and
/// constants stay fp16 initializers followed by one <c>Cast(to=FLOAT)</c>, so they are exactly the fp16 build's. Every
/// operator then computes in float32 on fp16-representable inputs and its result is rounded once: what a GPU kernel that
/// accumulates in float32 and stores fp16 does, so the fp16 error can be measured on a CPU, which has few fp16 kernels.
/// </summary>
public static class Fp16Emulation
{
    /// <summary>Segment of the names of the nodes and values the pass adds.</summary>
    public const string Segment = "emulate_fp16";

    /// <summary>Rewrites <paramref name="graph"/> in place (its proto; its weights are still written by <see cref="OnnxModelWriter"/>).</summary>
    /// <param name="graph">A graph built at <see cref="GraphPrecision.Fp16"/>, not yet saved.</param>
    /// <returns>The number of values rounded through fp16 (node outputs, weights and constants).</returns>
    /// <exception cref="ArgumentException">The graph is not an fp16 build.</exception>
    public static int Apply(GraphBuilder graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (graph.Precision != GraphPrecision.Fp16)
            throw new ArgumentException($"fp16 emulation rewrites an fp16 build; '{graph.Graph.Name}' is {graph.Precision}.", nameof(graph));

        // fp16 initializers (checkpoint weights, constants) are read through one Cast(to=FLOAT) each.
        var fp16Initializers = graph.Weights.Where(w => w.Type == DT.Float16).Select(w => w.Name)
            .Concat(graph.Graph.Initializer.Where(t => t.DataType == (int)DT.Float16).Select(t => t.Name))
            .Distinct(StringComparer.Ordinal).ToList();
        var widened = fp16Initializers.ToDictionary(n => n, n => $"{n}/{Segment}/output_0", StringComparer.Ordinal);
        var casts = fp16Initializers.Select(n => CastNode($"{n}/{Segment}/Cast", n, widened[n], DT.Float)).ToList();

        int rounded = fp16Initializers.Count + Rewrite(graph.Graph, graph, widened);
        for (int i = casts.Count - 1; i >= 0; i--) graph.Graph.Node.Insert(0, casts[i]);
        return rounded;
    }

    /// <summary>Rewrites one graph's nodes (and, recursively, the subgraphs of its If nodes); returns the node outputs rounded.</summary>
    private static int Rewrite(GraphProto g, GraphBuilder builder, Dictionary<string, string> widened)
    {
        int rounded = 0;
        var nodes = g.Node.ToList();
        g.Node.Clear();
        foreach (var node in nodes)
        {
            for (int i = 0; i < node.Input.Count; i++)
                if (widened.TryGetValue(node.Input[i], out var wide)) node.Input[i] = wide;
            foreach (var attribute in node.Attribute)
            {
                if (attribute.Type == AttributeProto.Types.AttributeType.Graph) rounded += Rewrite(attribute.G, builder, widened);
                else if (attribute.Type == AttributeProto.Types.AttributeType.Tensor && attribute.T.DataType == (int)DT.Float16) Widen(attribute.T);
                else if (node.OpType == "Cast" && attribute.Name == "to" && attribute.I == (int)DT.Float16) attribute.I = (int)DT.Float;
            }

            g.Node.Add(node);
            for (int i = 0; i < node.Output.Count; i++)
            {
                string value = node.Output[i];
                if (value.Length == 0 || builder.TypeOf(value) != DT.Float16) continue;
                // The node now computes in float32 into value/…/unrounded; the pair rounds it back into the name consumers read.
                string unrounded = $"{value}/{Segment}/unrounded", half = $"{value}/{Segment}/fp16";
                node.Output[i] = unrounded;
                g.Node.Add(CastNode($"{value}/{Segment}/Cast", unrounded, half, DT.Float16));
                g.Node.Add(CastNode($"{value}/{Segment}/Cast_1", half, value, DT.Float));
                rounded++;
            }
        }

        foreach (var output in g.Output)
            if (output.Type?.TensorType is { } t && t.ElemType == (int)DT.Float16) t.ElemType = (int)DT.Float;
        return rounded;
    }

    private static NodeProto CastNode(string name, string input, string output, DT to)
    {
        var node = new NodeProto { Name = name, OpType = "Cast" };
        node.Input.Add(input);
        node.Output.Add(output);
        node.Attribute.Add(Attr.Int("to", (int)to));
        return node;
    }

    /// <summary>An fp16 tensor attribute (ConstantOfShape's value) as the same values in float32.</summary>
    private static void Widen(TensorProto t)
    {
        var raw = t.RawData.Span;
        var values = new float[raw.Length / 2];
        for (int i = 0; i < values.Length; i++) values[i] = (float)BitConverter.ToHalf(raw.Slice(i * 2, 2));
        if (raw.Length == 0)
            values = t.Int32Data.Select(bits => (float)BitConverter.UInt16BitsToHalf((ushort)bits)).ToArray();
        t.RawData = Google.Protobuf.ByteString.Empty;
        t.Int32Data.Clear();
        t.DataType = (int)DT.Float;
        t.FloatData.AddRange(values);
    }
}
