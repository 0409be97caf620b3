namespace SanaSprint.Inference.Tests.Models;

/// <summary>
/// The kernels the ONNX Runtime CUDA execution provider registers, for the operators our graphs use: (domain, op) → the
/// element types of its type constraints at the newest opset row. Copied from onnxruntime <c>docs/OperatorKernels.md</c>,
/// section "Operators implemented by CUDAExecutionProvider" (generated from the registered kernels by
/// <c>tools/python/gen_opkernel_doc.py</c>; read at commit 001d12d, the 1.31 line). A graph op missing here would fall
/// back to the CPU provider, which splits the graph and rules out CUDA graphs.
/// </summary>
internal static class CudaKernelTable
{
    private const string Numeric = "Bfloat16 Double Float Float16 Int16 Int32 Int64 Int8 Uint16 Uint32 Uint64 Uint8";
    private const string Any = "Bfloat16 Bool Double Float Float16 Int16 Int32 Int64 Int8 Uint16 Uint32 Uint64 Uint8";
    private const string Floats = "Bfloat16 Double Float Float16";
    private const string FloatsNoBf16 = "Double Float Float16";

    /// <summary>(domain, op) → element types; the empty domain is ai.onnx.</summary>
    public static IReadOnlyDictionary<(string Domain, string Op), IReadOnlySet<string>> Kernels { get; } = new Dictionary<(string, string), string>
    {
        [("", "Add")] = Numeric,
        [("", "Mul")] = Numeric,
        [("", "Div")] = Numeric,
        [("", "Sub")] = Numeric,
        [("", "Cast")] = Any,
        [("", "Clip")] = "Double Float Float16 Int64 Int8 Uint64 Uint8",
        [("", "Concat")] = Any,
        [("", "Conv")] = Floats,
        [("", "Cos")] = FloatsNoBf16,
        [("", "Sin")] = FloatsNoBf16,
        [("", "DepthToSpace")] = FloatsNoBf16,
        [("", "Expand")] = Any,
        [("", "Floor")] = FloatsNoBf16,
        [("", "Gather")] = Any, // indices: int32, int64
        [("", "Gelu")] = Floats,
        [("", "Greater")] = "Double Float Float16 Int32 Int64 Uint32 Uint64 Bool", // output: bool
        [("", "Identity")] = Any,
        [("", "If")] = Any, // cond: bool
        [("", "LayerNormalization")] = Floats,
        [("", "MatMul")] = Floats,
        [("", "ReduceMean")] = "Double Float Float16 Int32 Int64", // axes: int64
        [("", "ReduceSum")] = "Bfloat16 Double Float Float16 Int32 Int64",
        [("", "Relu")] = Floats,
        [("", "Reshape")] = Any,
        [("", "Resize")] = "Double Float Float16 Int32 Uint8 Int64", // scales: float, sizes: int64
        [("", "Shape")] = Any,
        [("", "SimplifiedLayerNormalization")] = Floats,
        [("", "Softmax")] = Floats,
        [("", "Split")] = Any,
        [("", "Sqrt")] = Floats,
        [("", "Transpose")] = Any,
        [("", "Unsqueeze")] = Any,
        [("", "Squeeze")] = Any,
        [("", "Slice")] = Any,
        [("", "Where")] = "Bfloat16 Double Float Float16 Int32 Int64 Uint8 Bool",
        [("com.microsoft", "FusedMatMul")] = Floats,
        [("com.microsoft", "MultiHeadAttention")] = "Bfloat16 Float Float16 Int32", // key_padding_mask: int32
        [("com.microsoft", "QuickGelu")] = Floats,
    }.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<string>)kv.Value.Split(' ').ToHashSet(StringComparer.Ordinal));
}
