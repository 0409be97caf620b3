using SanaSprint.Inference.Onnx.Proto;

namespace SanaSprint.Inference.Onnx;

/// <summary>
/// A tensor in a graph under construction: the name a consumer refers to, its element type and, where the
/// builder could infer it, its shape (<c>-1</c> for a dynamic dimension; <c>null</c> when even the rank is unknown).
/// </summary>
/// <param name="Name">Value name (<c>{node}/output_0</c>, an input name, an initializer key or a constant name).</param>
/// <param name="Type">Element type.</param>
/// <param name="Shape">Inferred shape, or <c>null</c>.</param>
public sealed record GraphValue(string Name, TensorProto.Types.DataType Type, long[]? Shape)
{
    /// <summary>The rank, when known.</summary>
    public int? Rank => Shape?.Length;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Name} : {Type}{(Shape is null ? "" : "[" + string.Join(", ", Shape.Select(d => d < 0 ? "?" : d.ToString())) + "]")}";
}

/// <summary>Numeric precision a graph computes in.</summary>
public enum GraphPrecision
{
    /// <summary>float32 everywhere (the reference; CPU).</summary>
    Fp32,

    /// <summary>float16 weights and activations, with float32 islands where float16 breaks
    /// (linear attention and its 1e-15 epsilon, norms, sinusoidal embeddings). Inputs and outputs stay float32.</summary>
    Fp16,
}

/// <summary>Helpers for ONNX element types.</summary>
public static class DataTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this TensorProto.Types.DataType t) => t switch
    {
        TensorProto.Types.DataType.Float => 4,
        TensorProto.Types.DataType.Float16 => 2,
        TensorProto.Types.DataType.Bfloat16 => 2,
        TensorProto.Types.DataType.Int64 => 8,
        TensorProto.Types.DataType.Int32 => 4,
        TensorProto.Types.DataType.Bool => 1,
        TensorProto.Types.DataType.Double => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unsupported element type"),
    };

    /// <summary>The name used in constant names (<c>FLOAT</c>, <c>INT64</c>, ...).</summary>
    public static string ConstantTag(this TensorProto.Types.DataType t) => t switch
    {
        TensorProto.Types.DataType.Float => "FLOAT",
        TensorProto.Types.DataType.Float16 => "FLOAT16",
        TensorProto.Types.DataType.Int64 => "INT64",
        TensorProto.Types.DataType.Int32 => "INT32",
        TensorProto.Types.DataType.Bool => "BOOL",
        _ => t.ToString().ToUpperInvariant(),
    };

    /// <summary>True for float32/float16/bfloat16/double.</summary>
    public static bool IsFloating(this TensorProto.Types.DataType t) =>
        t is TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Double;

    /// <summary>The compute type of a precision.</summary>
    public static TensorProto.Types.DataType ComputeType(this GraphPrecision p) =>
        p == GraphPrecision.Fp16 ? TensorProto.Types.DataType.Float16 : TensorProto.Types.DataType.Float;
}
