using System.Globalization;
using Google.Protobuf;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Onnx.Proto;
using DT = SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace SanaSprint.Inference.Onnx;

/// <summary>A checkpoint tensor a graph uses as an initializer; its data is written or referenced when the graph is saved.</summary>
/// <param name="Name">Initializer name: the safetensors key, unchanged (prefixed only inside a <see cref="GraphBuilder.Scope"/>).</param>
/// <param name="Key">The safetensors key.</param>
/// <param name="Type">The element type the graph wants.</param>
/// <param name="File">The safetensors file holding it.</param>
/// <param name="Info">Its header entry.</param>
public sealed record WeightReference(string Name, string Key, DT Type, SafetensorsFile File, SafetensorsTensorInfo Info);

/// <summary>
/// Builds one ONNX graph, one method per ONNX operator. Every method takes a module path (<c>transformer_blocks.3.attn1.to_q</c>)
/// and its inputs, adds one node named <c>{path}/{OpType}</c> and returns its output <c>{node}/output_0</c> as a
/// <see cref="GraphValue"/>. A second op of one type in one module needs a role segment in the path
/// (<c>transformer_blocks.3.attn1/kv</c>): a repeated node name is an error, so names stay unique and greppable.
/// Constants are named by value (<c>constants/INT64/[0, 2, 1, 3]</c>) and shared graph-wide; checkpoint weights are
/// initializers named by their safetensors key (<see cref="Weight"/>). See <c>Onnx/README.md</c>.
/// </summary>
public sealed class GraphBuilder
{
    /// <summary>Opset of the default domain the builders target.</summary>
    public const int Opset = 21;

    /// <summary>
    /// The domain of ONNX Runtime's contrib operators (FusedMatMul, QuickGelu, MultiHeadAttention), implemented by its CPU
    /// and CUDA providers (onnxruntime docs, "Contrib operators").
    /// </summary>
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>IR version written.</summary>
    public const int IrVersion = 10;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GraphValue> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GraphValue> _weights = new(StringComparer.Ordinal);
    private readonly List<WeightReference> _weightRefs = [];
    private readonly Dictionary<string, DT> _valueTypes = new(StringComparer.Ordinal);

    /// <summary>Creates an empty graph.</summary>
    /// <param name="name">Graph name (e.g. the model class).</param>
    /// <param name="precision">Compute precision.</param>
    /// <param name="checkpoint">Where <see cref="Weight"/> finds tensors; <c>null</c> for graphs without weights.</param>
    public GraphBuilder(string name, GraphPrecision precision, SafetensorsCheckpoint? checkpoint)
    {
        _graph = new GraphProto { Name = name };
        Precision = precision;
        _rootCheckpoint = checkpoint;
    }

    /// <summary>Compute precision.</summary>
    public GraphPrecision Precision { get; }

    /// <summary>Element type of activations and weights outside fp32 islands.</summary>
    public DT ComputeType => Precision.ComputeType();

    /// <summary>The checkpoint weights come from (the innermost <see cref="Scope"/>'s, if any).</summary>
    public SafetensorsCheckpoint? Checkpoint => _scopes.Count > 0 ? _scopes.Peek().Checkpoint : _rootCheckpoint;

    private readonly SafetensorsCheckpoint? _rootCheckpoint;
    private readonly Stack<(string Prefix, SafetensorsCheckpoint? Checkpoint)> _scopes = new();

    /// <summary>The node/initializer name prefix of the current scope (empty at the root).</summary>
    public string Prefix => _scopes.Count > 0 ? _scopes.Peek().Prefix : "";

    /// <summary>
    /// Builds a sub-model from a second checkpoint inside this graph: until disposed, node names and initializer names
    /// get <paramref name="prefix"/> (e.g. <c>transformer.</c>, as a wrapping module's attribute path would), and
    /// <see cref="Weight"/> reads from <paramref name="checkpoint"/>. Used where two checkpoints share key names.
    /// </summary>
    public IDisposable Scope(string prefix, SafetensorsCheckpoint? checkpoint)
    {
        _scopes.Push((Prefix + prefix, checkpoint));
        return new PopScope(_scopes);
    }

    private sealed class PopScope(Stack<(string, SafetensorsCheckpoint?)> stack) : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            stack.Pop();
        }
    }

    /// <summary>The graph proto built so far (initializers for weights are added by <see cref="OnnxModelWriter"/>).</summary>
    public GraphProto Graph => _graph;

    /// <summary>Weights used, in first-use order.</summary>
    public IReadOnlyList<WeightReference> Weights => _weightRefs;

    /// <summary>Number of nodes.</summary>
    public int NodeCount => _graph.Node.Count;

    // ------------------------------------------------------------------ inputs, outputs, weights, constants

    /// <summary>Declares a graph input. Each dimension is a <c>long</c> (fixed) or a <c>string</c> (symbolic, dynamic).</summary>
    public GraphValue Input(string name, DT type, params object[] dims)
    {
        _graph.Input.Add(MakeValueInfo(name, type, dims));
        _valueTypes[name] = type;
        return new GraphValue(name, type, dims.Select(d => d is long or int ? Convert.ToInt64(d, CultureInfo.InvariantCulture) : -1L).ToArray());
    }

    /// <summary>Declares a graph output named <paramref name="name"/>, adding an Identity node <c>{name}/Identity</c>
    /// when the value has another name. Dimensions as in <see cref="Input"/>.</summary>
    public GraphValue Output(GraphValue value, string name, params object[] dims)
    {
        if (value.Name != name)
        {
            AddNode($"{name}/Identity", "Identity", [value.Name], [name], []);
            _valueTypes[name] = value.Type;
            value = value with { Name = name };
        }
        _graph.Output.Add(MakeValueInfo(name, value.Type, dims));
        return value;
    }

    /// <summary>
    /// The element type of a value of the graph (input, weight, constant or node output) as the builder made it, or
    /// <c>null</c> for a name it did not make. In an fp16 graph this tells the fp32 islands (float32 values) apart.
    /// </summary>
    public DT? TypeOf(string valueName) => _valueTypes.TryGetValue(valueName, out var t) ? t : null;

    /// <summary>The nodes added so far, in order: name, op type, input and output value names.</summary>
    public IEnumerable<GraphNodeInfo> Nodes => _graph.Node.Select(n => new GraphNodeInfo(n.Name, n.OpType, [.. n.Input], [.. n.Output]));

    /// <summary>
    /// Exposes an intermediate value as an extra graph output under its own name, with its element type and no declared
    /// shape (an audit variant's "tap": ONNX Runtime then returns the value beside the real outputs). Tapping a value twice
    /// adds it once.
    /// </summary>
    /// <param name="valueName">A node output's name (<c>{node}/output_0</c>).</param>
    /// <param name="type">Its element type.</param>
    /// <exception cref="ArgumentException">No node produces <paramref name="valueName"/>.</exception>
    public void Tap(string valueName, DT type)
    {
        if (!_graph.Node.Any(n => n.Output.Contains(valueName))) throw new ArgumentException($"No node of the graph produces '{valueName}'.", nameof(valueName));
        if (_graph.Output.Any(o => o.Name == valueName)) return;
        _graph.Output.Add(new ValueInfoProto { Name = valueName, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } });
    }

    private static ValueInfoProto MakeValueInfo(string name, DT type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                _ => throw new ArgumentException($"Dimension '{d}' must be a long or a string.", nameof(dims)),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>
    /// A checkpoint tensor as an initializer named by its key. The shape is checked (the error names the file, the
    /// tensor, both shapes and <paramref name="because"/>). Asking twice for one key returns the same value.
    /// </summary>
    /// <param name="key">Safetensors key.</param>
    /// <param name="shape">Expected shape.</param>
    /// <param name="because">How the shape follows from the config, for errors (e.g. <c>num_attention_heads × attention_head_dim</c>).</param>
    /// <param name="type">Element type in the graph; defaults to <see cref="ComputeType"/>. Pass float32 for fp32 islands.</param>
    /// <exception cref="CheckpointException">Missing tensor, wrong shape or unsupported dtype.</exception>
    public GraphValue Weight(string key, long[] shape, string? because = null, DT? type = null)
    {
        var t = type ?? ComputeType;
        string name = Prefix + key;
        if (_weights.TryGetValue(name, out var existing))
        {
            if (existing.Type != t)
                throw new InvalidOperationException($"Weight '{key}' was requested as {existing.Type} and as {t}; use one type per weight.");
            return existing;
        }
        if (Checkpoint is null)
            throw new InvalidOperationException($"Weight '{key}' requested but the graph has no checkpoint.");
        var info = Checkpoint.Require(key, shape, because);
        var dtype = Checkpoint.FileOf(key).GetDType(key);
        if (dtype == SafetensorsDType.I64)
            throw new CheckpointException(Checkpoint.FileOf(key).Path, key, "has dtype I64; expected a floating type (F32, F16, BF16).");
        _weightRefs.Add(new WeightReference(name, key, t, Checkpoint.FileOf(key), info));
        var v = new GraphValue(name, t, shape);
        _weights[name] = v;
        _valueTypes[name] = t;
        return v;
    }

    /// <summary>An int64 1-D constant, named <c>constants/INT64/[a, b]</c>.</summary>
    public GraphValue Const(params long[] values) =>
        AddConstant($"constants/INT64/[{string.Join(", ", values)}]", DT.Int64, [values.Length],
            t => t.Int64Data.AddRange(values));

    /// <summary>An int64 scalar constant, named <c>constants/INT64/a</c>.</summary>
    public GraphValue ConstScalar(long value) =>
        AddConstant($"constants/INT64/{value}", DT.Int64, [], t => t.Int64Data.Add(value));

    /// <summary>A floating scalar constant of the given type, named <c>constants/FLOAT/0.5</c> (or <c>FLOAT16</c>).</summary>
    public GraphValue Scalar(double value, DT type)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return AddConstant($"constants/{type.ConstantTag()}/{text}", type, [], t => SetFloatData(t, type, [value]));
    }

    /// <summary>A floating scalar with the element type of <paramref name="like"/>.</summary>
    public GraphValue ScalarLike(GraphValue like, double value) => Scalar(value, like.Type);

    /// <summary>A 1-D floating constant of the given type, named by value.</summary>
    public GraphValue Floats(DT type, params double[] values)
    {
        string text = "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
        if (text.Length > 200)
            text = "sha256:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
                values.SelectMany(BitConverter.GetBytes).ToArray()))[..16].ToLowerInvariant() + $"[{values.Length}]";
        return AddConstant($"constants/{type.ConstantTag()}/{text}", type, [values.Length], t => SetFloatData(t, type, values));
    }

    private static void SetFloatData(TensorProto t, DT type, double[] values)
    {
        switch (type)
        {
            case DT.Float:
                t.FloatData.AddRange(values.Select(v => (float)v));
                break;
            case DT.Float16:
                var bytes = new byte[values.Length * 2];
                for (int i = 0; i < values.Length; i++)
                    BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), (Half)(float)values[i]);
                t.RawData = ByteString.CopyFrom(bytes);
                break;
            case DT.Double:
                t.DoubleData.AddRange(values);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "not a floating type");
        }
    }

    private GraphValue AddConstant(string name, DT type, long[] dims, Action<TensorProto> fill)
    {
        if (_constants.TryGetValue(name, out var v)) return v;
        var t = new TensorProto { Name = name, DataType = (int)type };
        t.Dims.AddRange(dims);
        fill(t);
        _graph.Initializer.Add(t);
        _valueTypes[name] = type;
        v = new GraphValue(name, type, dims);
        _constants[name] = v;
        return v;
    }

    // ------------------------------------------------------------------ generic node

    /// <summary>
    /// Adds one node <c>{path}/{opType}</c> and returns its outputs <c>{node}/output_i</c>. Use the typed methods below;
    /// this is the escape hatch for ops without one.
    /// </summary>
    /// <param name="path">Module path (plus role segment if needed).</param>
    /// <param name="opType">ONNX op type.</param>
    /// <param name="inputs">Inputs; <c>null</c> entries are omitted optional inputs (written as empty names).</param>
    /// <param name="outputTypes">Element type of each output.</param>
    /// <param name="attributes">Attributes.</param>
    /// <param name="outputShapes">Inferred output shapes, if known.</param>
    /// <param name="domain">Operator domain (empty = default).</param>
    public GraphValue[] Node(string path, string opType, GraphValue?[] inputs, DT[] outputTypes,
        IEnumerable<AttributeProto>? attributes = null, long[]?[]? outputShapes = null, string domain = "")
    {
        string nodeName = $"{Prefix}{path}/{opType}";
        var outputs = new GraphValue[outputTypes.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            outputs[i] = new GraphValue($"{nodeName}/output_{i}", outputTypes[i], outputShapes?[i]);
            _valueTypes[outputs[i].Name] = outputTypes[i];
        }
        // Trailing omitted inputs are dropped; inner ones are written as "".
        int n = inputs.Length;
        while (n > 0 && inputs[n - 1] is null) n--;
        AddNode(nodeName, opType, inputs.Take(n).Select(x => x?.Name ?? "").ToArray(),
            outputs.Select(o => o.Name).ToArray(), attributes ?? [], domain);
        return outputs;
    }

    private void AddNode(string nodeName, string opType, string[] inputs, string[] outputs, IEnumerable<AttributeProto> attributes, string domain = "")
    {
        if (!_nodeNames.Add(nodeName))
            throw new InvalidOperationException(
                $"Node '{nodeName}' already exists: add a role segment to the module path (e.g. '{nodeName[..nodeName.LastIndexOf('/')]}/kv').");
        var node = new NodeProto { Name = nodeName, OpType = opType, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
    }

    private GraphValue One(string path, string op, GraphValue?[] inputs, DT type, long[]? shape, params AttributeProto[] attrs) =>
        Node(path, op, inputs, [type], attrs, [shape])[0];

    // ------------------------------------------------------------------ shape helpers

    private static long[]? Broadcast(long[]? a, long[]? b)
    {
        if (a is null || b is null) return null;
        int r = Math.Max(a.Length, b.Length);
        var s = new long[r];
        for (int i = 0; i < r; i++)
        {
            long x = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            long y = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            s[i] = x == 1 ? y : y == 1 ? x : x == y ? x : -1;
        }
        return s;
    }

    private static void RequireSameType(string op, GraphValue a, GraphValue b)
    {
        if (a.Type != b.Type)
            throw new InvalidOperationException($"{op}: element types differ ({a} vs {b}); insert a Cast.");
    }

    // ------------------------------------------------------------------ elementwise

    /// <summary>Add (broadcasting).</summary>
    public GraphValue Add(string path, GraphValue a, GraphValue b) { RequireSameType("Add", a, b); return One(path, "Add", [a, b], a.Type, Broadcast(a.Shape, b.Shape)); }

    /// <summary>Sub (broadcasting).</summary>
    public GraphValue Sub(string path, GraphValue a, GraphValue b) { RequireSameType("Sub", a, b); return One(path, "Sub", [a, b], a.Type, Broadcast(a.Shape, b.Shape)); }

    /// <summary>Mul (broadcasting).</summary>
    public GraphValue Mul(string path, GraphValue a, GraphValue b) { RequireSameType("Mul", a, b); return One(path, "Mul", [a, b], a.Type, Broadcast(a.Shape, b.Shape)); }

    /// <summary>Div (broadcasting).</summary>
    public GraphValue Div(string path, GraphValue a, GraphValue b) { RequireSameType("Div", a, b); return One(path, "Div", [a, b], a.Type, Broadcast(a.Shape, b.Shape)); }

    /// <summary>Pow (broadcasting).</summary>
    public GraphValue Pow(string path, GraphValue a, GraphValue b) => One(path, "Pow", [a, b], a.Type, Broadcast(a.Shape, b.Shape));

    /// <summary>Max (broadcasting, two inputs).</summary>
    public GraphValue Max(string path, GraphValue a, GraphValue b) { RequireSameType("Max", a, b); return One(path, "Max", [a, b], a.Type, Broadcast(a.Shape, b.Shape)); }

    /// <summary>Min (broadcasting, two inputs).</summary>
    public GraphValue Min(string path, GraphValue a, GraphValue b) { RequireSameType("Min", a, b); return One(path, "Min", [a, b], a.Type, Broadcast(a.Shape, b.Shape)); }

    /// <summary>Equal → bool.</summary>
    public GraphValue Equal(string path, GraphValue a, GraphValue b) => One(path, "Equal", [a, b], DT.Bool, Broadcast(a.Shape, b.Shape));

    /// <summary>Where(condition, x, y).</summary>
    public GraphValue Where(string path, GraphValue condition, GraphValue x, GraphValue y) =>
        One(path, "Where", [condition, x, y], x.Type, Broadcast(condition.Shape, Broadcast(x.Shape, y.Shape)));

    /// <summary>Relu.</summary>
    public GraphValue Relu(string path, GraphValue x) => One(path, "Relu", [x], x.Type, x.Shape);

    /// <summary>Sigmoid.</summary>
    public GraphValue Sigmoid(string path, GraphValue x) => One(path, "Sigmoid", [x], x.Type, x.Shape);

    /// <summary>Tanh.</summary>
    public GraphValue Tanh(string path, GraphValue x) => One(path, "Tanh", [x], x.Type, x.Shape);

    /// <summary>Sqrt.</summary>
    public GraphValue Sqrt(string path, GraphValue x) => One(path, "Sqrt", [x], x.Type, x.Shape);

    /// <summary>Reciprocal.</summary>
    public GraphValue Reciprocal(string path, GraphValue x) => One(path, "Reciprocal", [x], x.Type, x.Shape);

    /// <summary>Exp.</summary>
    public GraphValue Exp(string path, GraphValue x) => One(path, "Exp", [x], x.Type, x.Shape);

    /// <summary>Cos.</summary>
    public GraphValue Cos(string path, GraphValue x) => One(path, "Cos", [x], x.Type, x.Shape);

    /// <summary>Sin.</summary>
    public GraphValue Sin(string path, GraphValue x) => One(path, "Sin", [x], x.Type, x.Shape);

    /// <summary>Neg.</summary>
    public GraphValue Neg(string path, GraphValue x) => One(path, "Neg", [x], x.Type, x.Shape);

    /// <summary>Erf.</summary>
    public GraphValue Erf(string path, GraphValue x) => One(path, "Erf", [x], x.Type, x.Shape);

    /// <summary>Identity.</summary>
    public GraphValue Identity(string path, GraphValue x) => One(path, "Identity", [x], x.Type, x.Shape);

    /// <summary>Element-wise floor.</summary>
    public GraphValue Floor(string path, GraphValue x) => One(path, "Floor", [x], x.Type, x.Shape);

    /// <summary>Gelu (opset 20); <paramref name="approximate"/> is <c>none</c> or <c>tanh</c>.</summary>
    public GraphValue Gelu(string path, GraphValue x, string approximate = "none") =>
        One(path, "Gelu", [x], x.Type, x.Shape, Attr.String("approximate", approximate));

    /// <summary>Clip between optional scalar bounds (same element type as <paramref name="x"/>).</summary>
    public GraphValue Clip(string path, GraphValue x, GraphValue? min, GraphValue? max) => One(path, "Clip", [x, min, max], x.Type, x.Shape);

    /// <summary>Cast to another element type.</summary>
    public GraphValue Cast(string path, GraphValue x, DT to) => One(path, "Cast", [x], to, x.Shape, Attr.Int("to", (int)to));

    /// <summary>Casts only when the type differs (no node otherwise).</summary>
    public GraphValue CastIfNeeded(string path, GraphValue x, DT to) => x.Type == to ? x : Cast(path, x, to);

    // ------------------------------------------------------------------ linear algebra, conv, norms

    /// <summary>MatMul (numpy semantics).</summary>
    public GraphValue MatMul(string path, GraphValue a, GraphValue b)
    {
        RequireSameType("MatMul", a, b);
        long[]? shape = null;
        if (a.Shape is { Length: >= 2 } sa && b.Shape is { Length: >= 2 } sb)
        {
            var batch = Broadcast(sa[..^2], sb[..^2])!;
            shape = [.. batch, sa[^2], sb[^1]];
        }
        else if (a.Shape is { Length: >= 2 } sa2 && b.Shape is { Length: 1 })
            shape = sa2[..^1];
        return One(path, "MatMul", [a, b], a.Type, shape);
    }

    /// <summary>
    /// <c>com.microsoft.FusedMatMul</c>: MatMul with a transposed operand, without a Transpose node (e.g. <c>x · Wᵀ</c> for
    /// an <c>nn.Linear</c> weight W [out, in] used as stored).
    /// </summary>
    public GraphValue FusedMatMul(string path, GraphValue a, GraphValue b, bool transB)
    {
        RequireSameType("FusedMatMul", a, b);
        long[]? shape = null;
        if (a.Shape is { Length: >= 2 } sa && b.Shape is { Length: 2 } sb)
            shape = [.. sa[..^1], transB ? sb[0] : sb[1]];
        return Node(path, "FusedMatMul", [a, b], [a.Type],
            [Attr.Int("transA", 0), Attr.Int("transB", transB ? 1 : 0), Attr.Float("alpha", 1.0)], [shape], MicrosoftDomain)[0];
    }

    /// <summary><c>com.microsoft.QuickGelu</c>: <c>x · sigmoid(alpha · x)</c>; with alpha 1 it is SiLU in one node.</summary>
    public GraphValue QuickGelu(string path, GraphValue x, double alpha) =>
        Node(path, "QuickGelu", [x], [x.Type], [Attr.Float("alpha", alpha)], [x.Shape], MicrosoftDomain)[0];

    /// <summary>
    /// <c>SimplifiedLayerNormalization</c> (RMSNorm, ONNX Runtime's operator in the default domain): <c>x · rsqrt(mean(x²)
    /// + eps) · scale</c> over the last axis, the statistics in float32 (stash_type 1) whatever the element type.
    /// </summary>
    public GraphValue SimplifiedLayerNormalization(string path, GraphValue x, GraphValue scale, double epsilon)
    {
        RequireSameType("SimplifiedLayerNormalization", x, scale);
        return One(path, "SimplifiedLayerNormalization", [x, scale], x.Type, x.Shape,
            Attr.Float("epsilon", epsilon), Attr.Int("axis", -1), Attr.Int("stash_type", 1));
    }

    /// <summary>
    /// <c>com.microsoft.MultiHeadAttention</c> on unpacked projections: q [B, N, H·d], k and v [B, S, H·d] → [B, N, H·d],
    /// <c>softmax(q·kᵀ/√d + mask)·v</c> per head with the heads merged. <paramref name="keyPaddingMask"/> (int32 [B, S], 1 =
    /// attend) adds <c>mask_filter_value</c> (−10000, as diffusers' <c>(1 − mask)·(−10000)</c>) where it is 0.
    /// </summary>
    public GraphValue MultiHeadAttention(string path, GraphValue q, GraphValue k, GraphValue v, GraphValue? keyPaddingMask, int heads)
    {
        RequireSameType("MultiHeadAttention", q, k);
        RequireSameType("MultiHeadAttention", q, v);
        return Node(path, "MultiHeadAttention", [q, k, v, null, keyPaddingMask], [q.Type],
            [Attr.Int("num_heads", heads), Attr.Float("mask_filter_value", -10000.0)], [q.Shape], MicrosoftDomain)[0];
    }

    /// <summary>Gemm: alpha·A'·B' + beta·C with optional transposes (2-D only).</summary>
    public GraphValue Gemm(string path, GraphValue a, GraphValue b, GraphValue? c, bool transA = false, bool transB = false) =>
        One(path, "Gemm", [a, b, c], a.Type, null, Attr.Int("transA", transA ? 1 : 0), Attr.Int("transB", transB ? 1 : 0));

    /// <summary>Conv (NCHW). <paramref name="pads"/> is [top, left, bottom, right] for 2-D.</summary>
    public GraphValue Conv(string path, GraphValue x, GraphValue w, GraphValue? b, long[] kernelShape, long[]? strides = null,
        long[]? pads = null, long group = 1, long[]? dilations = null)
    {
        var attrs = new List<AttributeProto> { Attr.Ints("kernel_shape", kernelShape), Attr.Int("group", group) };
        if (strides is not null) attrs.Add(Attr.Ints("strides", strides));
        if (pads is not null) attrs.Add(Attr.Ints("pads", pads));
        if (dilations is not null) attrs.Add(Attr.Ints("dilations", dilations));
        long[]? shape = null;
        if (x.Shape is { Length: 4 } xs && w.Shape is { Length: 4 } ws)
        {
            long Out(long size, int i) => size < 0 ? -1 :
                (size + (pads?[i] ?? 0) + (pads?[i + 2] ?? 0) - ((dilations?[i] ?? 1) * (kernelShape[i] - 1) + 1)) / (strides?[i] ?? 1) + 1;
            shape = [xs[0], ws[0], Out(xs[2], 0), Out(xs[3], 1)];
        }
        return Node(path, "Conv", [x, w, b], [x.Type], attrs, [shape])[0];
    }

    /// <summary>LayerNormalization over the last axes from <paramref name="axis"/> (statistics in float32: stash_type 1).</summary>
    public GraphValue LayerNormalization(string path, GraphValue x, GraphValue scale, GraphValue? bias, double epsilon, long axis = -1) =>
        One(path, "LayerNormalization", [x, scale, bias], x.Type, x.Shape, Attr.Float("epsilon", epsilon), Attr.Int("axis", axis));

    /// <summary>Softmax along <paramref name="axis"/>.</summary>
    public GraphValue Softmax(string path, GraphValue x, long axis = -1) => One(path, "Softmax", [x], x.Type, x.Shape, Attr.Int("axis", axis));

    /// <summary>ReduceMean over the given axes (opset 18+: axes as an input).</summary>
    public GraphValue ReduceMean(string path, GraphValue x, long[] axes, bool keepDims = true) =>
        One(path, "ReduceMean", [x, Const(axes)], x.Type, ReducedShape(x.Shape, axes, keepDims), Attr.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>ReduceSum over the given axes.</summary>
    public GraphValue ReduceSum(string path, GraphValue x, long[] axes, bool keepDims = true) =>
        One(path, "ReduceSum", [x, Const(axes)], x.Type, ReducedShape(x.Shape, axes, keepDims), Attr.Int("keepdims", keepDims ? 1 : 0));

    private static long[]? ReducedShape(long[]? s, long[] axes, bool keep)
    {
        if (s is null) return null;
        var norm = axes.Select(a => a < 0 ? a + s.Length : a).ToHashSet();
        return keep ? s.Select((d, i) => norm.Contains(i) ? 1 : d).ToArray() : s.Where((_, i) => !norm.Contains(i)).ToArray();
    }

    // ------------------------------------------------------------------ shape ops

    /// <summary>Reshape to a constant shape (0 copies the input dim, -1 is inferred).</summary>
    public GraphValue Reshape(string path, GraphValue x, params long[] shape)
    {
        long[]? outShape = null;
        if (x.Shape is not null)
            outShape = shape.Select((d, i) => d == 0 && i < x.Shape.Length ? x.Shape[i] : d).ToArray();
        else
            outShape = shape.Select(d => d == 0 ? -1 : d).ToArray();
        return One(path, "Reshape", [x, Const(shape)], x.Type, outShape);
    }

    /// <summary>Reshape to a shape computed in the graph.</summary>
    public GraphValue Reshape(string path, GraphValue x, GraphValue shape) => One(path, "Reshape", [x, shape], x.Type, null);

    /// <summary>Transpose by a permutation.</summary>
    public GraphValue Transpose(string path, GraphValue x, params long[] perm) =>
        One(path, "Transpose", [x], x.Type, x.Shape is null ? null : perm.Select(p => x.Shape[p]).ToArray(), Attr.Ints("perm", perm));

    /// <summary>Concat along an axis.</summary>
    public GraphValue Concat(string path, long axis, params GraphValue[] xs)
    {
        long[]? shape = null;
        if (xs.All(v => v.Shape is not null) && xs.Select(v => v.Shape!.Length).Distinct().Count() == 1)
        {
            var s0 = xs[0].Shape!;
            int ax = (int)(axis < 0 ? axis + s0.Length : axis);
            shape = (long[])s0.Clone();
            shape[ax] = xs.Any(v => v.Shape![ax] < 0) ? -1 : xs.Sum(v => v.Shape![ax]);
        }
        return One(path, "Concat", xs, xs[0].Type, shape, Attr.Int("axis", axis));
    }

    /// <summary>Split along an axis into parts of the given sizes.</summary>
    public GraphValue[] Split(string path, GraphValue x, long axis, params long[] sizes)
    {
        var shapes = sizes.Select(sz =>
        {
            if (x.Shape is null) return null;
            var s = (long[])x.Shape.Clone();
            s[axis < 0 ? axis + s.Length : axis] = sz;
            return s;
        }).ToArray();
        return Node(path, "Split", [x, Const(sizes)], sizes.Select(_ => x.Type).ToArray(), [Attr.Int("axis", axis)], shapes);
    }

    /// <summary>Split into <paramref name="count"/> equal parts (opset 18 <c>num_outputs</c>).</summary>
    public GraphValue[] SplitEqual(string path, GraphValue x, long axis, int count)
    {
        long[]? s = null;
        if (x.Shape is not null)
        {
            s = (long[])x.Shape.Clone();
            int ax = (int)(axis < 0 ? axis + s.Length : axis);
            s[ax] = s[ax] < 0 ? -1 : s[ax] / count;
        }
        return Node(path, "Split", [x], Enumerable.Repeat(x.Type, count).ToArray(),
            [Attr.Int("axis", axis), Attr.Int("num_outputs", count)], Enumerable.Repeat(s, count).ToArray());
    }

    /// <summary>Slice with constant starts/ends/axes (and optional steps).</summary>
    public GraphValue Slice(string path, GraphValue x, long[] starts, long[] ends, long[] axes, long[]? steps = null) =>
        One(path, "Slice", [x, Const(starts), Const(ends), Const(axes), steps is null ? null : Const(steps)], x.Type, null);

    /// <summary>Unsqueeze at the given axes.</summary>
    public GraphValue Unsqueeze(string path, GraphValue x, params long[] axes)
    {
        long[]? shape = null;
        if (x.Shape is not null)
        {
            var list = x.Shape.ToList();
            int rank = list.Count + axes.Length;
            foreach (var a in axes.Select(a => a < 0 ? a + rank : a).Order()) list.Insert((int)a, 1);
            shape = list.ToArray();
        }
        return One(path, "Unsqueeze", [x, Const(axes)], x.Type, shape);
    }

    /// <summary>Squeeze the given axes.</summary>
    public GraphValue Squeeze(string path, GraphValue x, params long[] axes) =>
        One(path, "Squeeze", [x, Const(axes)], x.Type, x.Shape is null ? null : x.Shape.Where((_, i) => !axes.Select(a => a < 0 ? a + x.Shape.Length : a).Contains(i)).ToArray());

    /// <summary>Expand (broadcast) to a shape value.</summary>
    public GraphValue Expand(string path, GraphValue x, GraphValue shape) => One(path, "Expand", [x, shape], x.Type, null);

    /// <summary>Shape of a tensor (int64), optionally a [start, end) slice of it.</summary>
    public GraphValue Shape(string path, GraphValue x, long? start = null, long? end = null)
    {
        var attrs = new List<AttributeProto>();
        if (start is not null) attrs.Add(Attr.Int("start", start.Value));
        if (end is not null) attrs.Add(Attr.Int("end", end.Value));
        return Node(path, "Shape", [x], [DT.Int64], attrs, [null])[0];
    }

    /// <summary>Gather along an axis.</summary>
    public GraphValue Gather(string path, GraphValue data, GraphValue indices, long axis = 0) =>
        One(path, "Gather", [data, indices], data.Type, null, Attr.Int("axis", axis));

    /// <summary>DepthToSpace; <paramref name="mode"/> CRD equals <c>torch.pixel_shuffle</c>.</summary>
    public GraphValue DepthToSpace(string path, GraphValue x, long blockSize, string mode = "CRD") =>
        One(path, "DepthToSpace", [x], x.Type,
            x.Shape is { Length: 4 } s ? [s[0], s[1] < 0 ? -1 : s[1] / (blockSize * blockSize), s[2] < 0 ? -1 : s[2] * blockSize, s[3] < 0 ? -1 : s[3] * blockSize] : null,
            Attr.Int("blocksize", blockSize), Attr.String("mode", mode));

    /// <summary>Resize by constant scales (float32 scales input).</summary>
    public GraphValue Resize(string path, GraphValue x, double[] scales, string mode = "nearest",
        string coordinateTransformationMode = "asymmetric", string nearestMode = "floor")
    {
        var attrs = new List<AttributeProto> { Attr.String("mode", mode), Attr.String("coordinate_transformation_mode", coordinateTransformationMode) };
        if (mode == "nearest") attrs.Add(Attr.String("nearest_mode", nearestMode));
        long[]? shape = x.Shape is null ? null : x.Shape.Select((d, i) => d < 0 ? -1 : (long)Math.Floor(d * scales[i])).ToArray();
        return Node(path, "Resize", [x, null, Floats(DT.Float, scales)], [x.Type], attrs, [shape])[0];
    }

    /// <summary>Pad with constant pads ([begin_0.., end_0..]) and a constant value.</summary>
    public GraphValue Pad(string path, GraphValue x, long[] pads, GraphValue? value = null, string mode = "constant") =>
        One(path, "Pad", [x, Const(pads), value], x.Type, null, Attr.String("mode", mode));

    /// <summary>Range(start, limit, delta) of scalars.</summary>
    public GraphValue Range(string path, GraphValue start, GraphValue limit, GraphValue delta) =>
        One(path, "Range", [start, limit, delta], start.Type, null);

    /// <summary>ConstantOfShape filled with a value of the given type.</summary>
    public GraphValue ConstantOfShape(string path, GraphValue shape, double value, DT type)
    {
        var t = new TensorProto { DataType = (int)type };
        t.Dims.Add(1);
        SetFloatOrIntData(t, type, value);
        return One(path, "ConstantOfShape", [shape], type, null, new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = t });
    }

    private static void SetFloatOrIntData(TensorProto t, DT type, double value)
    {
        if (type == DT.Int64) t.Int64Data.Add((long)value);
        else SetFloatData(t, type, [value]);
    }
}

/// <summary>Attribute constructors.</summary>
public static class Attr
{
    /// <summary>An INT attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A FLOAT attribute.</summary>
    public static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    /// <summary>A STRING attribute.</summary>
    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>An INTS attribute.</summary>
    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
