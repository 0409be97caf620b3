using System.Text.RegularExpressions;
using SanaSprint.Inference.Onnx;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Precision;

/// <summary>
/// Which values of a built fp32 graph the precision audit taps, found by the builders' node names (<c>{module path}/{op}</c>,
/// see <c>Onnx/README.md</c>): the values that grow without a normalisation right before them, and so are the ones that
/// leave fp16's range (±65504) first.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>residual stream</b>: each transformer block's stream after its self-attention, cross-attention and
/// feed-forward residual adds (diffusers <c>SanaTransformerBlock.forward</c>).</item>
/// <item><b>GLU product</b>: <c>a · SiLU(gate)</c> inside GLUMBConv (transformer feed-forward).</item>
/// <item><b>linear attention KᵀV</b>: the [d, d] products of Sana's ReLU linear attention (<c>SanaLinearAttnProcessor2_0</c>),
/// sums over all tokens.</item>
/// <item><b>ControlNet residual</b>: each <c>controlnet_blocks.i</c> output × the conditioning scale.</item>
/// <item><b>DC-AE pre-norm</b>: the input of every DC-AE RMSNorm (ResBlock <c>conv2</c> output, EfficientViT
/// <c>to_out</c> / <c>conv_point</c> output, <c>norm_out</c> input); <b>EViT GLU product</b> and <b>EViT linear attention KᵀV</b>
/// inside the EfficientViT blocks (fixed-size graphs only: a dynamic graph picks the branch inside an <c>If</c>).</item>
/// </list>
/// </remarks>
public static partial class PrecisionTaps
{
    /// <summary>Residual stream.</summary>
    public const string Residual = "residual stream";

    /// <summary>GLUMBConv's a · SiLU(gate).</summary>
    public const string Glu = "GLU product";

    /// <summary>Linear attention's KᵀV (V·Kᵀ in the builders' layout).</summary>
    public const string KtV = "linear attention KᵀV";

    /// <summary>ControlNet residual.</summary>
    public const string ControlResidual = "ControlNet residual";

    /// <summary>The input of a DC-AE RMSNorm.</summary>
    public const string PreNorm = "DC-AE pre-norm";

    /// <summary>EfficientViT GLU product.</summary>
    public const string EvitGlu = "EViT GLU product";

    /// <summary>EfficientViT linear attention KᵀV.</summary>
    public const string EvitKtV = "EViT linear attention KᵀV";

    /// <summary>Whether values of <paramref name="kind"/> are computed in float32 in the fp16 graphs too (the linear attentions' KᵀV).</summary>
    /// <param name="kind">A tap kind.</param>
    public static bool IsInFp32Island(string kind) => kind is KtV or EvitKtV;

    /// <summary>Finds the taps of <paramref name="component"/>'s graph and exposes each as a graph output (<see cref="GraphBuilder.Tap"/>).</summary>
    /// <param name="g">A built fp32 graph.</param>
    /// <param name="component">Its component name (reported with each tap).</param>
    /// <returns>The taps, in node order.</returns>
    public static IReadOnlyList<PrecisionTap> Add(GraphBuilder g, string component)
    {
        ArgumentNullException.ThrowIfNull(g);
        var taps = new List<PrecisionTap>();
        foreach (var node in g.Nodes.ToList())
        {
            if (Find(node) is not { } found) continue;
            g.Tap(found.Value, DT.Float);
            taps.Add(new PrecisionTap(component, found.Kind, found.Location, found.Value));
        }

        return taps;
    }

    private static (string Kind, string Location, string Value)? Find(GraphNodeInfo node)
    {
        string name = node.Name;
        if (BlockResidual().Match(name) is { Success: true } r) return (Residual, r.Groups[1].Value, node.Outputs[0]);
        if (DcaeNorm().Match(name) is { Success: true } n) return (PreNorm, n.Groups[1].Value, node.Inputs[0]);
        if (GluMul().Match(name) is { Success: true } glu)
            return (glu.Groups[1].Value.Contains("transformer_blocks", StringComparison.Ordinal) ? Glu : EvitGlu, glu.Groups[1].Value, node.Outputs[0]);
        if (TransformerKtV().Match(name) is { Success: true } kv) return (KtV, kv.Groups[1].Value, node.Outputs[0]);
        if (EvitScores().Match(name) is { Success: true } ekv) return (EvitKtV, ekv.Groups[1].Value, node.Outputs[0]);
        if (ControlNetResidual().Match(name) is { Success: true } c) return (ControlResidual, c.Groups[1].Value, node.Outputs[0]);
        return null;
    }

    [GeneratedRegex(@"^((?:transformer\.)?transformer_blocks\.\d+\.(?:attn1|attn2|ff))/residual/Add$")]
    private static partial Regex BlockResidual();

    // The DC-AE's RMSNorm squares its input first (AutoencoderDC.RmsNorm2d): that Mul's input is the pre-norm value.
    [GeneratedRegex(@"^((?:encoder|decoder)(?:\..*)?\.norm(?:_out)?)/square/Mul$")]
    private static partial Regex DcaeNorm();

    [GeneratedRegex(@"^(.*)/glu/Mul$")]
    private static partial Regex GluMul();

    [GeneratedRegex(@"^((?:transformer\.)?transformer_blocks\.\d+\.attn1)/vk/MatMul$")]
    private static partial Regex TransformerKtV();

    [GeneratedRegex(@"^(.*)/linear/scores/MatMul$")]
    private static partial Regex EvitScores();

    [GeneratedRegex(@"^(controlnet_blocks\.\d+)/conditioning_scale/Mul$")]
    private static partial Regex ControlNetResidual();
}
