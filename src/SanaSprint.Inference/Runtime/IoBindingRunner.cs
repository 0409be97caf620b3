using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SanaSprint.Inference.Runtime;

/// <summary>
/// Where the buffers of an <see cref="IoBindingRunner"/> live: host staging memory (pinned <c>CudaPinned</c> memory for
/// a CUDA session, so host↔device transfers are DMA copies; ordinary CPU memory otherwise) and the session's device.
/// </summary>
public sealed class DevicePlacement : IDisposable
{
    private readonly bool _owns;

    private DevicePlacement(string name, OrtMemoryInfo host, OrtMemoryInfo device, bool owns)
    {
        Name = name;
        Host = host;
        Device = device;
        _owns = owns;
    }

    /// <summary>"CPU" or "CUDA:0".</summary>
    public string Name { get; }

    /// <summary>Host staging memory (inputs are written here, outputs read from here).</summary>
    public OrtMemoryInfo Host { get; }

    /// <summary>The memory the session's kernels run on.</summary>
    public OrtMemoryInfo Device { get; }

    /// <summary>True when host and device are the same CPU memory (no transfers happen).</summary>
    public bool IsCpu => !_owns;

    /// <summary>CPU sessions: everything in CPU memory.</summary>
    public static DevicePlacement Cpu() => new("CPU", OrtMemoryInfo.DefaultInstance, OrtMemoryInfo.DefaultInstance, owns: false);

    /// <summary>CUDA sessions: <c>CudaPinned</c> host staging and <c>Cuda</c> device memory on <paramref name="deviceId"/>.</summary>
    /// <param name="deviceId">CUDA device ordinal.</param>
    /// <returns>The placement.</returns>
    public static DevicePlacement Cuda(int deviceId) => new(
        $"CUDA:{deviceId}",
        new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.CpuOutput),
        new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default),
        owns: true);

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_owns) return;
        Host.Dispose();
        Device.Dispose();
    }
}

/// <summary>
/// Runs a session through an <see cref="OrtIoBinding"/> with host staging buffers kept per shape signature. Host data
/// is written into a staging <see cref="OrtValue"/> (pinned on CUDA) and bound with <c>BindInput</c>: ONNX Runtime
/// copies a bound input that lives elsewhere to the device the session wants when it is bound (the copy goes through
/// the session's own data transfer, so it works with a per-session CUDA provider; the caveat in
/// <c>OrtIoBinding.shared.cs</c>: "a copy made at bind time happens once"). Outputs are bound to host staging buffers
/// of the given shapes (or to CPU memory when shapes are unknown) and copied back by ONNX Runtime at the end of the
/// run. Nothing here uses <c>OrtEnv.CopyTensors</c>, which needs an execution provider registered with the environment,
/// nor writes device memory through a span (github.com/microsoft/onnxruntime/issues/22583). CPU sessions take the same path, which is how
/// the tests exercise it.
/// <para>Static inputs (prompt embeddings, masks, control latents) are bound once per signature and not again while the
/// same array is passed, so their device copy stays in place across the steps of a frame.</para>
/// <para>Values that are already in device memory (one session's output bound as another's input, see
/// <see cref="RunWithDevice"/>) are bound as they are, so they never cross to the host; every host tensor bound and every
/// output read back is counted in a <see cref="HostDeviceTransfers"/>.</para>
/// <para>CUDA graphs are not captured through this runner: a captured graph replays fixed device addresses
/// (CUDA-ExecutionProvider.md, "Using CUDA Graphs"), and a bind-time copy allocates a new device tensor per bind.</para>
/// </summary>
internal sealed class IoBindingRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly DevicePlacement _placement;
    private readonly OrtAllocator _hostAllocator;
    private readonly bool _ownsAllocator;
    private readonly Dictionary<string, Bound> _bound = new(StringComparer.Ordinal);
    private readonly HostDeviceTransfers? _transfers;
    private readonly string _component;
    private OrtAllocator? _deviceAllocator;

    private long _runs;

    private sealed class Bound(OrtIoBinding binding) : IDisposable
    {
        public OrtIoBinding Binding { get; } = binding;
        public long LastUsed { get; set; }
        public Dictionary<string, OrtValue> Inputs { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, object> BoundStatic { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, OrtValue> Outputs { get; } = new(StringComparer.Ordinal);
        /// <summary>The caller's device values bound last, by input or output name (rebound only when another is passed).</summary>
        public Dictionary<string, OrtValue> BoundDevice { get; } = new(StringComparer.Ordinal);

        public void Dispose()
        {
            Binding.Dispose();
            foreach (var v in Inputs.Values) v.Dispose();
            foreach (var v in Outputs.Values) v.Dispose();
        }
    }

    /// <summary>A runner over <paramref name="session"/>.</summary>
    /// <param name="session">The session.</param>
    /// <param name="placement">Where its buffers live.</param>
    /// <param name="transfers">Counts host↔device bytes, or null.</param>
    /// <param name="component">Component name, for <paramref name="transfers"/>.</param>
    public IoBindingRunner(InferenceSession session, DevicePlacement placement, HostDeviceTransfers? transfers = null, string component = "")
    {
        _session = session;
        _placement = placement;
        _transfers = transfers;
        _component = component;
        if (placement.IsCpu)
        {
            _hostAllocator = OrtAllocator.DefaultInstance;
        }
        else
        {
            // The CUDA provider registers a pinned-memory allocator with the session; without one, pageable memory still works.
            try
            {
                _hostAllocator = new OrtAllocator(session, placement.Host);
                _ownsAllocator = true;
            }
            catch (OnnxRuntimeException)
            {
                _hostAllocator = OrtAllocator.DefaultInstance;
            }
        }
    }

    /// <summary>
    /// Most signatures kept; the least recently used is released beyond it. Served shapes are few (frame sizes × batch
    /// sizes), but the prompt encoder sees a new token count with almost every prompt.
    /// </summary>
    public int MaxSignatures { get; init; } = 16;

    /// <summary>Number of shape signatures kept (each with its own buffers and binding).</summary>
    public int SignatureCount => _bound.Count;

    /// <summary>Inputs bound (host → device copies on CUDA) since creation.</summary>
    public long InputBinds { get; private set; }

    /// <summary>Runs since creation that did not pass the output shapes (their outputs are allocated by ONNX Runtime per run).</summary>
    public long RunsWithoutOutputShapes { get; private set; }

    /// <summary>The signatures kept, in no particular order.</summary>
    public IReadOnlyCollection<string> Signatures => _bound.Keys;

    /// <summary>
    /// A tensor in the session's device memory (CPU memory on the CPU provider), owned by the caller: bind it as an output
    /// of one run and an input of another (<see cref="RunWithDevice"/>) and it never crosses to the host.
    /// </summary>
    /// <param name="type">Element type.</param>
    /// <param name="shape">Dimensions.</param>
    /// <returns>The value.</returns>
    public OrtValue AllocateOnDevice(TensorElementType type, long[] shape)
    {
        // The session's device allocator: the CUDA arena on a CUDA session (OrtAllocator over the session and
        // OrtMemoryInfo "Cuda"), the default CPU allocator otherwise.
        _deviceAllocator ??= _placement.IsCpu ? OrtAllocator.DefaultInstance : new OrtAllocator(_session, _placement.Device);
        return OrtValue.CreateAllocatedTensorValue(_deviceAllocator, type, shape);
    }

    /// <summary>The address of an input's staging buffer for a signature (tests: buffers are stable per signature).</summary>
    /// <param name="signature">From <see cref="SignatureOf"/>.</param>
    /// <param name="input">Input name.</param>
    /// <returns>The address, or zero when none.</returns>
    public nint StagingAddress(string signature, string input) =>
        _bound.TryGetValue(signature, out var b) && b.Inputs.TryGetValue(input, out var v) ? AddressOf(v) : 0;

    /// <summary>The address of a tensor's memory (tests: device buffers are stable per signature).</summary>
    /// <param name="value">A CPU-memory tensor.</param>
    /// <returns>The address.</returns>
    public static unsafe nint AddressOf(OrtValue value) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(value.GetTensorMutableRawData()));

    /// <summary>The signature of a run: input names and shapes, plus the output shapes when given.</summary>
    /// <param name="inputs">Inputs.</param>
    /// <param name="outputShapes">Output shapes, or null.</param>
    /// <returns>The signature.</returns>
    public static string SignatureOf(IReadOnlyList<HostTensor> inputs, IReadOnlyList<long[]>? outputShapes) =>
        CudaGraphIds.Signature(inputs) + (outputShapes is null ? "" : "->" + string.Join(";", outputShapes.Select(s => $"[{string.Join(",", s)}]")));

    /// <summary>
    /// <see cref="SignatureOf"/> plus the device values: their names and shapes for inputs, their names for outputs (a
    /// signature whose outputs stay on the device has no host buffers for them, so it is not the host one's).
    /// </summary>
    private static string SignatureWithDevice(IReadOnlyList<HostTensor> inputs, IReadOnlyDictionary<string, OrtValue>? deviceInputs,
        IReadOnlyList<long[]>? outputShapes, IReadOnlyDictionary<string, OrtValue>? deviceOutputs)
    {
        string signature = SignatureOf(inputs, outputShapes);
        if (deviceInputs is { Count: > 0 })
            signature += "|in@device:" + string.Join(";", deviceInputs.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => $"{kv.Key}[{string.Join(",", kv.Value.GetTensorTypeAndShape().Shape)}]"));
        if (deviceOutputs is { Count: > 0 })
            signature += "|out@device:" + string.Join(";", deviceOutputs.Keys.Order(StringComparer.Ordinal));
        return signature;
    }

    /// <summary>Runs the session with host inputs and outputs only (see <see cref="RunWithDevice"/>).</summary>
    /// <param name="inputs">Host inputs.</param>
    /// <param name="inputTypes">Element type of every graph input.</param>
    /// <param name="outputNames">Every graph output, in order.</param>
    /// <param name="outputShapes">Output shapes, or null.</param>
    /// <returns>Each output as a float array.</returns>
    public float[][] Run(IReadOnlyList<HostTensor> inputs, IReadOnlyDictionary<string, TensorElementType> inputTypes, IReadOnlyList<string> outputNames,
        IReadOnlyList<long[]>? outputShapes) =>
        RunWithDevice(inputs, inputTypes, outputNames, outputShapes, null, null)!;

    /// <summary>
    /// Runs the session. Host inputs go through staging buffers (static ones bound once while the same array is passed);
    /// <paramref name="deviceInputs"/> are bound as they are, and outputs named in <paramref name="deviceOutputs"/> are written
    /// into the given device values and not read back (their result entry is null).
    /// </summary>
    /// <param name="inputs">Host inputs.</param>
    /// <param name="inputTypes">Element type of every graph input.</param>
    /// <param name="outputNames">Every graph output, in order.</param>
    /// <param name="outputShapes">Output shapes (needed for pre-allocated outputs and CUDA graphs), or null.</param>
    /// <param name="deviceInputs">Inputs already in device memory (see <see cref="AllocateOnDevice"/>), or null.</param>
    /// <param name="deviceOutputs">Outputs to leave in the given device values, or null.</param>
    /// <returns>Each output as a float array, or null for a device output.</returns>
    public float[]?[] RunWithDevice(IReadOnlyList<HostTensor> inputs, IReadOnlyDictionary<string, TensorElementType> inputTypes, IReadOnlyList<string> outputNames,
        IReadOnlyList<long[]>? outputShapes, IReadOnlyDictionary<string, OrtValue>? deviceInputs, IReadOnlyDictionary<string, OrtValue>? deviceOutputs)
    {
        var b = Execute(inputs, inputTypes, outputNames, outputShapes, deviceInputs, deviceOutputs);

        // 4. Host outputs as float arrays.
        var results = new float[]?[outputNames.Count];
        if (outputShapes is not null)
        {
            for (int i = 0; i < outputNames.Count; i++)
            {
                if (!b.Outputs.TryGetValue(outputNames[i], out var value)) continue;
                results[i] = OnnxComponentSession.ToFloatArray(value);
                CountToHost(outputNames[i], value);
            }
        }
        else
        {
            using var values = b.Binding.GetOutputValues();
            int k = 0;
            foreach (var v in values)
            {
                results[k] = OnnxComponentSession.ToFloatArray(v);
                CountToHost(outputNames[k++], v);
            }
        }

        return results;
    }

    /// <summary>
    /// Runs the session computing the named outputs into caller-owned host buffers of their element type (e.g. the
    /// decoder's uint8 image); the graph's other outputs are not bound, so they are not copied.
    /// </summary>
    /// <typeparam name="T">The outputs' element type.</typeparam>
    /// <param name="inputs">Host inputs.</param>
    /// <param name="inputTypes">Element type of every graph input.</param>
    /// <param name="outputNames">The outputs wanted.</param>
    /// <param name="outputShapes">Their shapes.</param>
    /// <param name="destinations">One buffer per output, exactly its element count.</param>
    public void RunInto<T>(IReadOnlyList<HostTensor> inputs, IReadOnlyDictionary<string, TensorElementType> inputTypes, IReadOnlyList<string> outputNames,
        IReadOnlyList<long[]> outputShapes, IReadOnlyList<Memory<T>> destinations) where T : unmanaged
    {
        var b = Execute(inputs, inputTypes, outputNames, outputShapes, null, null);
        for (int i = 0; i < outputNames.Count; i++)
        {
            var value = b.Outputs[outputNames[i]];
            value.GetTensorDataAsSpan<T>().CopyTo(destinations[i].Span);
            CountToHost(outputNames[i], value);
        }
    }

    /// <summary>Steps 1–3 of a run: the signature's binding (made on its first run), the inputs bound, the run.</summary>
    private Bound Execute(IReadOnlyList<HostTensor> inputs, IReadOnlyDictionary<string, TensorElementType> inputTypes, IReadOnlyList<string> outputNames,
        IReadOnlyList<long[]>? outputShapes, IReadOnlyDictionary<string, OrtValue>? deviceInputs, IReadOnlyDictionary<string, OrtValue>? deviceOutputs)
    {
        if (outputShapes is null && deviceOutputs is { Count: > 0 }) throw new ArgumentException("device outputs need the output shapes.", nameof(outputShapes));
        string signature = SignatureWithDevice(inputs, deviceInputs, outputShapes, deviceOutputs);
        if (outputNames.Count != _session.OutputMetadata.Count) signature += "|outputs:" + string.Join(";", outputNames);
        if (!_bound.TryGetValue(signature, out var b))
        {
            // 1. A new signature: staging buffers and a binding of its own, kept for later runs of the same shapes.
            if (_bound.Count >= MaxSignatures)
            {
                var oldest = _bound.MinBy(kv => kv.Value.LastUsed);
                oldest.Value.Dispose();
                _bound.Remove(oldest.Key);
            }

            b = new Bound(_session.CreateIoBinding());
            _bound[signature] = b;
            foreach (var t in inputs)
                b.Inputs[t.Name] = OrtValue.CreateAllocatedTensorValue(_hostAllocator, inputTypes[t.Name], t.Shape);
            for (int i = 0; i < outputNames.Count; i++)
            {
                if (deviceOutputs is not null && deviceOutputs.ContainsKey(outputNames[i])) continue;
                if (outputShapes is not null)
                {
                    var value = OrtValue.CreateAllocatedTensorValue(_hostAllocator, _session.OutputMetadata[outputNames[i]].ElementDataType, outputShapes[i]);
                    b.Outputs[outputNames[i]] = value;
                    b.Binding.BindOutput(outputNames[i], value);
                }
                else
                {
                    b.Binding.BindOutputToDevice(outputNames[i], OrtMemoryInfo.DefaultInstance);
                }
            }
        }

        b.LastUsed = ++_runs;
        if (outputShapes is null) RunsWithoutOutputShapes++;

        // 2. Host data into the staging buffers; binding copies them to the device. Unchanged static inputs stay bound.
        foreach (var t in inputs)
        {
            if (t.IsStatic && b.BoundStatic.TryGetValue(t.Name, out var last) && ReferenceEquals(last, t.Data)) continue;
            var staging = b.Inputs[t.Name];
            Fill(staging, t, inputTypes[t.Name]);
            b.Binding.BindInput(t.Name, staging);
            InputBinds++;
            _transfers?.AddHostToDevice(_component, t.Name, t.ElementCount * ElementSize(inputTypes[t.Name]));
            if (t.IsStatic) b.BoundStatic[t.Name] = t.Data;
            else b.BoundStatic.Remove(t.Name);
        }

        // Device values: bound where they are (no copy), again only when another value is passed.
        if (deviceInputs is not null)
            foreach (var (name, value) in deviceInputs)
                BindDevice(b, name, value, input: true);
        if (deviceOutputs is not null)
            foreach (var (name, value) in deviceOutputs)
                BindDevice(b, name, value, input: false);

        // 3. Run; ONNX Runtime copies the host-bound outputs into their buffers.
        using var runOptions = new RunOptions();
        b.Binding.SynchronizeBoundInputs();
        _session.RunWithBinding(runOptions, b.Binding);
        b.Binding.SynchronizeBoundOutputs();
        return b;
    }

    private void BindDevice(Bound b, string name, OrtValue value, bool input)
    {
        if (b.BoundDevice.TryGetValue(name, out var last) && ReferenceEquals(last, value)) return;
        if (input) b.Binding.BindInput(name, value);
        else b.Binding.BindOutput(name, value);
        b.BoundDevice[name] = value;
    }

    private void CountToHost(string name, OrtValue value)
    {
        if (_transfers is null) return;
        var info = value.GetTensorTypeAndShape();
        _transfers.AddDeviceToHost(_component, name, info.ElementCount * ElementSize(info.ElementDataType));
    }

    /// <summary>Bytes per element of the tensor types the graphs use.</summary>
    internal static long ElementSize(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Float16 or TensorElementType.BFloat16 or TensorElementType.Int16 or TensorElementType.UInt16 => 2,
        TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Double => 8,
        TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no element size for this tensor type."),
    };

    /// <summary>Writes a host tensor into a host staging buffer of the graph input's element type.</summary>
    private static void Fill(OrtValue staging, HostTensor t, TensorElementType type)
    {
        switch (t.Data)
        {
            case float[] f when type == TensorElementType.Float:
                f.CopyTo(staging.GetTensorMutableDataAsSpan<float>());
                break;
            case float[] f when type == TensorElementType.Float16:
            {
                var h = staging.GetTensorMutableDataAsSpan<Float16>();
                for (int i = 0; i < f.Length; i++) h[i] = (Float16)f[i];
                break;
            }
            case long[] l when type == TensorElementType.Int64:
                l.CopyTo(staging.GetTensorMutableDataAsSpan<long>());
                break;
            case long[] l when type == TensorElementType.Int32:
            {
                var d = staging.GetTensorMutableDataAsSpan<int>();
                for (int i = 0; i < l.Length; i++) d[i] = checked((int)l[i]);
                break;
            }
            case long[] l when type == TensorElementType.Float:
            {
                var d = staging.GetTensorMutableDataAsSpan<float>();
                for (int i = 0; i < l.Length; i++) d[i] = l[i];
                break;
            }
            case int[] i32 when type == TensorElementType.Int32:
                i32.CopyTo(staging.GetTensorMutableDataAsSpan<int>());
                break;
            case int[] i32 when type == TensorElementType.Int64:
            {
                var d = staging.GetTensorMutableDataAsSpan<long>();
                for (int i = 0; i < i32.Length; i++) d[i] = i32[i];
                break;
            }
            default:
                throw new ArgumentException($"input '{t.Name}': {t.Data.GetType().Name} cannot feed a graph input of type {type}.");
        }
    }

    public void Dispose()
    {
        foreach (var b in _bound.Values) b.Dispose();
        _bound.Clear();
        if (_ownsAllocator) _hostAllocator.Dispose();
        if (_deviceAllocator is not null && !ReferenceEquals(_deviceAllocator, OrtAllocator.DefaultInstance)) _deviceAllocator.Dispose();
    }
}
