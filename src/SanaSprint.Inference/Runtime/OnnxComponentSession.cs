using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SanaSprint.Inference.Runtime;

/// <summary>One named input of a component run, held on the host.</summary>
/// <param name="Name">Graph input name.</param>
/// <param name="Data">A <c>float[]</c>, <c>long[]</c> or <c>int[]</c> in row-major order.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="IsStatic">
/// True when the same array is passed on every step of a frame (prompt embeddings, mask, control latent): on CUDA it
/// is copied to the device once and stays there while the same array instance is passed.
/// </param>
public sealed record HostTensor(string Name, Array Data, long[] Shape, bool IsStatic = false)
{
    /// <summary>Number of elements the shape describes.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A resident ONNX Runtime session of one model component. <see cref="Run"/> takes host tensors and returns host
/// float outputs; on CUDA it runs through an IOBinding whose staging buffers persist per shape signature (see
/// <see cref="IoBindingRunner"/>), and on CPU it wraps the managed arrays without copying. The time spent inside
/// ONNX Runtime is accumulated in <see cref="OrtTime"/> so callers can report the overhead outside it.
/// </summary>
public sealed class OnnxComponentSession : IDisposable
{
    private readonly InferenceSession _session;
    private IoBindingRunner? _binding;
    private readonly DevicePlacement? _placement;
    private readonly Lock _gate = new();
    private readonly RunOptions _runOptions = new();
    private readonly bool _floatOutputs;
    private long _ortTicks;

    internal OnnxComponentSession(string component, InferenceSession session, ExecutionProviderChoice provider, HostDeviceTransfers? transfers = null)
        : this(component, session, provider.Kind == ExecutionProviderKind.Cuda ? DevicePlacement.Cuda(provider.Cuda?.DeviceId ?? 0) : null, transfers)
    {
    }

    /// <summary>
    /// A session that runs through an <see cref="IoBindingRunner"/> when <paramref name="bindingPlacement"/> is given (CUDA,
    /// or CPU memory standing in for a device), counting its host↔device bytes in <paramref name="transfers"/>.
    /// </summary>
    internal OnnxComponentSession(string component, InferenceSession session, DevicePlacement? bindingPlacement, HostDeviceTransfers? transfers = null)
    {
        Component = component;
        _session = session;
        InputNames = [.. session.InputMetadata.Keys];
        OutputNames = [.. session.OutputMetadata.Keys];
        InputTypes = session.InputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.ElementDataType);
        _floatOutputs = session.OutputMetadata.Values.All(m => m.ElementDataType == TensorElementType.Float);
        OutputTypes = session.OutputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.ElementDataType);
        _placement = bindingPlacement;
        if (bindingPlacement is not null) _binding = new IoBindingRunner(session, bindingPlacement, transfers, component);
    }

    /// <summary>Component name.</summary>
    public string Component { get; }

    /// <summary>Graph input names.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Graph output names.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Element type of each graph input (Float, Float16, Int64, ...).</summary>
    public IReadOnlyDictionary<string, TensorElementType> InputTypes { get; }

    /// <summary>Element type of each graph output.</summary>
    public IReadOnlyDictionary<string, TensorElementType> OutputTypes { get; }

    /// <summary>
    /// The binding runner: the session's own on CUDA (or with a stand-in device); on the CPU provider one over CPU memory
    /// made on first use, so runs that keep values on the device take the same binding calls there.
    /// </summary>
    internal IoBindingRunner Binding => _binding ??= new IoBindingRunner(_session, DevicePlacement.Cpu(), component: Component);

    /// <summary>Declared dimensions of a graph input (−1 for symbolic ones), or null when there is no such input.</summary>
    /// <param name="name">Input name.</param>
    /// <returns>The dimensions.</returns>
    public long[]? InputDimensions(string name) =>
        _session.InputMetadata.TryGetValue(name, out var meta) ? meta.Dimensions.Select(d => (long)d).ToArray() : null;

    /// <summary>Total time spent inside ONNX Runtime <c>Run</c> calls of this session.</summary>
    public TimeSpan OrtTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ortTicks));

    /// <summary>Runs the graph.</summary>
    /// <param name="inputs">Every graph input, by name.</param>
    /// <param name="outputShapes">Expected output shapes (required for CUDA-graph capture; optional otherwise).</param>
    /// <returns>Each output (in <see cref="OutputNames"/> order) as a float array.</returns>
    /// <exception cref="ArgumentException">An input is missing, unknown or has a data length that does not match its shape.</exception>
    public float[][] Run(IReadOnlyList<HostTensor> inputs, IReadOnlyList<long[]>? outputShapes = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Validate(inputs);
        // ONNX Runtime allows concurrent Run on one session on CPU, but IOBinding/CUDA graphs do not; one gate keeps both simple.
        lock (_gate)
        {
            return _placement is not null ? RunBound(inputs, outputShapes) : RunCpu(inputs, outputShapes);
        }
    }

    /// <summary>Runs the graph, writing each output into a caller-owned buffer (e.g. pooled), without intermediate copies on CPU.</summary>
    /// <param name="inputs">Every graph input, by name.</param>
    /// <param name="outputShapes">The output shapes, in <see cref="OutputNames"/> order.</param>
    /// <param name="destinations">One buffer per output, each exactly the shape's element count.</param>
    /// <exception cref="ArgumentException">Inputs invalid, or a destination of the wrong length.</exception>
    public void RunInto(IReadOnlyList<HostTensor> inputs, IReadOnlyList<long[]> outputShapes, IReadOnlyList<Memory<float>> destinations) =>
        RunInto(inputs, OutputNames, outputShapes, destinations);

    /// <summary>
    /// Runs the graph for the named outputs only, writing each into a caller-owned buffer of its element type (float32
    /// outputs into <c>Memory&lt;float&gt;</c>, the decoder's uint8 image into <c>Memory&lt;byte&gt;</c>); outputs not named
    /// are not copied.
    /// </summary>
    /// <typeparam name="T">The outputs' element type (<c>float</c> or <c>byte</c>).</typeparam>
    /// <param name="inputs">Every graph input, by name.</param>
    /// <param name="outputs">Output names.</param>
    /// <param name="outputShapes">Their shapes.</param>
    /// <param name="destinations">One buffer per output, each exactly the shape's element count.</param>
    /// <exception cref="ArgumentException">Inputs invalid, an unknown output, or a destination of the wrong length or type.</exception>
    public void RunInto<T>(IReadOnlyList<HostTensor> inputs, IReadOnlyList<string> outputs, IReadOnlyList<long[]> outputShapes, IReadOnlyList<Memory<T>> destinations)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(outputShapes);
        ArgumentNullException.ThrowIfNull(destinations);
        Validate(inputs);
        if (outputShapes.Count != outputs.Count || destinations.Count != outputs.Count)
            throw new ArgumentException($"{Component}: {outputs.Count} outputs need as many shapes and destinations.", nameof(destinations));
        var wanted = typeof(T) == typeof(float) ? TensorElementType.Float : typeof(T) == typeof(byte) ? TensorElementType.UInt8
            : throw new ArgumentException($"{Component}: outputs are read as float or byte, not {typeof(T).Name}.", nameof(destinations));
        bool exact = true;
        for (int k = 0; k < destinations.Count; k++)
        {
            if (!OutputTypes.TryGetValue(outputs[k], out var type))
                throw new ArgumentException($"{Component}: '{outputs[k]}' is not a graph output (outputs: {string.Join(", ", OutputNames)}).", nameof(outputs));
            if (type != wanted && !(wanted == TensorElementType.Float && type == TensorElementType.Float16 && outputs.Count == OutputNames.Count))
                throw new ArgumentException($"{Component}: output '{outputs[k]}' is {type}, not {wanted}.", nameof(destinations));
            exact &= type == wanted;
            if (destinations[k].Length != outputShapes[k].Aggregate(1L, (a, b) => a * b))
                throw new ArgumentException($"{Component}: destination {k} holds {destinations[k].Length} values; output '{outputs[k]}' [{string.Join(", ", outputShapes[k])}] needs {outputShapes[k].Aggregate(1L, (a, b) => a * b)}.", nameof(destinations));
        }

        lock (_gate)
        {
            if (!exact)
            {
                // float16 outputs (every one of them) converted to float.
                var results = _placement is not null ? RunBound(inputs, outputShapes) : RunCpu(inputs, null);
                for (int k = 0; k < results.Length; k++) MemoryMarshal.Cast<float, T>(results[k].AsSpan()).CopyTo(destinations[k].Span);
                return;
            }

            if (_placement is not null)
            {
                long started = Stopwatch.GetTimestamp();
                Binding.RunInto(inputs, InputTypes, outputs, outputShapes, destinations);
                Interlocked.Add(ref _ortTicks, Stopwatch.GetTimestamp() - started);
                return;
            }

            var values = new List<OrtValue>(inputs.Count);
            var produced = new List<OrtValue>(destinations.Count);
            try
            {
                foreach (var t in inputs) values.Add(CreateHostValue(t, InputTypes[t.Name]));
                for (int k = 0; k < destinations.Count; k++) produced.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, destinations[k], outputShapes[k]));
                long start = Stopwatch.GetTimestamp();
                _session.Run(_runOptions, inputs.Select(i => i.Name).ToList(), values, outputs, produced);
                Interlocked.Add(ref _ortTicks, Stopwatch.GetTimestamp() - start);
            }
            finally
            {
                foreach (var v in values) v.Dispose();
                foreach (var v in produced) v.Dispose();
            }
        }
    }

    /// <summary>
    /// Runs through the binding runner with some inputs and outputs in device memory: <paramref name="deviceInputs"/> are
    /// bound where they are and <paramref name="deviceOutputs"/> receive their outputs without a copy to the host (see
    /// <see cref="IoBindingRunner.RunWithDevice"/>). On the CPU provider the "device" is CPU memory and the same calls run.
    /// </summary>
    /// <param name="inputs">Host inputs.</param>
    /// <param name="outputShapes">Every output's shape, in <see cref="OutputNames"/> order.</param>
    /// <param name="deviceInputs">Inputs in device memory, by name.</param>
    /// <param name="deviceOutputs">Outputs to leave on the device, by name.</param>
    /// <returns>Each output as a float array; null for a device output.</returns>
    internal float[]?[] RunOnDevice(IReadOnlyList<HostTensor> inputs, IReadOnlyList<long[]> outputShapes,
        IReadOnlyDictionary<string, OrtValue>? deviceInputs, IReadOnlyDictionary<string, OrtValue>? deviceOutputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputShapes);
        Validate(inputs, deviceInputs?.Keys);
        lock (_gate)
        {
            long start = Stopwatch.GetTimestamp();
            var result = Binding.RunWithDevice(inputs, InputTypes, OutputNames, outputShapes, deviceInputs, deviceOutputs);
            Interlocked.Add(ref _ortTicks, Stopwatch.GetTimestamp() - start);
            return result;
        }
    }

    /// <summary>A tensor in this session's device memory (see <see cref="IoBindingRunner.AllocateOnDevice"/>), owned by the caller.</summary>
    /// <param name="type">Element type.</param>
    /// <param name="shape">Dimensions.</param>
    /// <returns>The value.</returns>
    internal OrtValue AllocateOnDevice(TensorElementType type, long[] shape)
    {
        lock (_gate) return Binding.AllocateOnDevice(type, shape);
    }

    private void Validate(IReadOnlyList<HostTensor> inputs, IEnumerable<string>? onDevice = null)
    {
        var device = onDevice?.ToHashSet(StringComparer.Ordinal) ?? [];
        foreach (var name in device)
            if (!InputTypes.ContainsKey(name))
                throw new ArgumentException($"{Component}: '{name}' is not a graph input (inputs: {string.Join(", ", InputNames)}).", nameof(inputs));
        foreach (var name in InputNames)
            if (!device.Contains(name) && !inputs.Any(i => i.Name == name))
                throw new ArgumentException($"{Component}: graph input '{name}' was not supplied (supplied: {string.Join(", ", inputs.Select(i => i.Name))}).", nameof(inputs));
        foreach (var t in inputs)
        {
            if (!InputTypes.ContainsKey(t.Name))
                throw new ArgumentException($"{Component}: '{t.Name}' is not a graph input (inputs: {string.Join(", ", InputNames)}).", nameof(inputs));
            if (t.Data.Length != t.ElementCount)
                throw new ArgumentException($"{Component}: input '{t.Name}' has {t.Data.Length} values but shape [{string.Join(", ", t.Shape)}] needs {t.ElementCount}.", nameof(inputs));
        }
    }

    private float[][] RunCpu(IReadOnlyList<HostTensor> inputs, IReadOnlyList<long[]>? outputShapes)
    {
        var values = new List<OrtValue>(inputs.Count);
        var outputs = new List<OrtValue>();
        try
        {
            foreach (var t in inputs) values.Add(CreateHostValue(t, InputTypes[t.Name]));
            var names = inputs.Select(i => i.Name).ToList();
            if (outputShapes is not null && outputShapes.Count == OutputNames.Count && _floatOutputs)
            {
                // Known shapes: ONNX Runtime writes straight into the managed result arrays (no copy afterwards).
                var result = new float[OutputNames.Count][];
                for (int k = 0; k < result.Length; k++)
                {
                    result[k] = new float[outputShapes[k].Aggregate(1L, (a, b) => a * b)];
                    outputs.Add(OrtValue.CreateTensorValueFromMemory(result[k], outputShapes[k]));
                }

                long start = Stopwatch.GetTimestamp();
                _session.Run(_runOptions, names, values, OutputNames, outputs);
                Interlocked.Add(ref _ortTicks, Stopwatch.GetTimestamp() - start);
                return result;
            }
            else
            {
                long start = Stopwatch.GetTimestamp();
                using var produced = _session.Run(_runOptions, names, values, OutputNames);
                Interlocked.Add(ref _ortTicks, Stopwatch.GetTimestamp() - start);
                var result = new float[produced.Count][];
                int k = 0;
                foreach (var o in produced) result[k++] = ToFloatArray(o);
                return result;
            }
        }
        finally
        {
            foreach (var v in values) v.Dispose();
            foreach (var v in outputs) v.Dispose();
        }
    }

    private float[][] RunBound(IReadOnlyList<HostTensor> inputs, IReadOnlyList<long[]>? outputShapes)
    {
        long start = Stopwatch.GetTimestamp();
        var result = Binding.Run(inputs, InputTypes, OutputNames, outputShapes);
        Interlocked.Add(ref _ortTicks, Stopwatch.GetTimestamp() - start);
        return result;
    }

    /// <summary>Wraps (or for fp16 graphs converts) a host tensor as an ORT value in CPU memory.</summary>
    internal static OrtValue CreateHostValue(HostTensor t, TensorElementType type)
    {
        switch (t.Data)
        {
            case float[] f when type == TensorElementType.Float:
                return OrtValue.CreateTensorValueFromMemory(f, t.Shape);
            case float[] f when type == TensorElementType.Float16:
            {
                var h = new Float16[f.Length];
                for (int i = 0; i < f.Length; i++) h[i] = (Float16)f[i];
                return OrtValue.CreateTensorValueFromMemory(h, t.Shape);
            }
            case long[] l when type == TensorElementType.Int64:
                return OrtValue.CreateTensorValueFromMemory(l, t.Shape);
            case long[] l when type == TensorElementType.Int32:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(l, v => checked((int)v)), t.Shape);
            case long[] l when type == TensorElementType.Float:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(l, v => (float)v), t.Shape);
            case int[] i32 when type == TensorElementType.Int32:
                return OrtValue.CreateTensorValueFromMemory(i32, t.Shape);
            case int[] i32 when type == TensorElementType.Int64:
                return OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(i32, v => (long)v), t.Shape);
            default:
                throw new ArgumentException($"input '{t.Name}': {t.Data.GetType().Name} cannot feed a graph input of type {type}.");
        }
    }

    /// <summary>Copies an ORT output (float or float16) into a new float array.</summary>
    internal static float[] ToFloatArray(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        switch (info.ElementDataType)
        {
            case TensorElementType.Float:
                return value.GetTensorDataAsSpan<float>().ToArray();
            case TensorElementType.Float16:
            {
                var h = value.GetTensorDataAsSpan<Float16>();
                var f = new float[h.Length];
                for (int i = 0; i < h.Length; i++) f[i] = (float)h[i];
                return f;
            }
            default:
                throw new InvalidDataException($"graph output of type {info.ElementDataType} is not a float tensor.");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _binding?.Dispose();
        _placement?.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
