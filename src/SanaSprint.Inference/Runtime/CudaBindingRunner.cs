using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SanaSprint.Inference.Runtime;

/// <summary>
/// Assigns one CUDA graph id per input-shape signature (resolution × batch size): ONNX Runtime captures a graph on the
/// first run of an id and replays it afterwards, and does not check shapes, so each signature must keep its own id.
/// Id 0 is reserved by ONNX Runtime and −1 disables capture.
/// </summary>
public sealed class CudaGraphIds
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    /// <summary>Largest number of captured graphs per session; later signatures run uncaptured (id −1).</summary>
    public int MaxGraphs { get; init; } = 16;

    /// <summary>The id of a signature (≥ 1), or −1 once <see cref="MaxGraphs"/> are taken.</summary>
    /// <param name="signature">From <see cref="Signature"/>.</param>
    /// <returns>The graph id.</returns>
    public int For(string signature)
    {
        if (_ids.TryGetValue(signature, out int id)) return id;
        if (_ids.Count >= MaxGraphs) return -1;
        id = _ids.Count + 1;
        _ids[signature] = id;
        return id;
    }

    /// <summary>A stable text of the inputs' names and shapes.</summary>
    /// <param name="inputs">The run's inputs.</param>
    /// <returns>E.g. <c>hidden_states[2,32,32,32];timestep[2]</c>.</returns>
    public static string Signature(IEnumerable<HostTensor> inputs) =>
        string.Join(";", inputs.OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => $"{i.Name}[{string.Join(",", i.Shape)}]"));
}

/// <summary>
/// The CUDA path of <see cref="OnnxComponentSession"/>: inputs and outputs live in device buffers bound once through an
/// <see cref="OrtIoBinding"/> and reused run after run (fixed addresses, as CUDA-graph replay requires). Host data is
/// copied in with <c>OrtEnv.CopyTensors</c> — never written through a span over device memory (onnxruntime #22583) —
/// and static inputs (prompt embeddings, masks, control latents) are copied only when a new array is passed, so they
/// stay on the GPU across the steps of a frame.
/// </summary>
internal sealed class CudaBindingRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly CudaProviderSettings _settings;
    private readonly OrtMemoryInfo _deviceMemory;
    private readonly OrtAllocator _allocator;
    private readonly CudaGraphIds _graphIds = new();
    private readonly Dictionary<string, DeviceBuffer> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceBuffer> _outputs = new(StringComparer.Ordinal);
    private OrtIoBinding? _binding;
    private string? _boundSignature;

    private sealed class DeviceBuffer(OrtValue value, long[] shape, TensorElementType type) : IDisposable
    {
        public OrtValue Value { get; } = value;
        public long[] Shape { get; } = shape;
        public TensorElementType Type { get; } = type;
        public object? LastHostArray { get; set; }
        public void Dispose() => Value.Dispose();
    }

    public CudaBindingRunner(InferenceSession session, CudaProviderSettings settings)
    {
        _session = session;
        _settings = settings;
        _deviceMemory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, settings.DeviceId, OrtMemType.Default);
        _allocator = new OrtAllocator(session, _deviceMemory);
    }

    public float[][] Run(IReadOnlyList<HostTensor> inputs, IReadOnlyDictionary<string, TensorElementType> inputTypes, IReadOnlyList<string> outputNames, IReadOnlyList<long[]>? outputShapes)
    {
        if (_settings.EnableCudaGraph && outputShapes is null)
            throw new InvalidOperationException("CUDA-graph runs need the output shapes so that output buffers keep fixed addresses.");
        string signature = CudaGraphIds.Signature(inputs);
        bool rebind = signature != _boundSignature;

        // 1. Device buffers for every input (reallocated only when a shape changes), host → device copies.
        foreach (var t in inputs)
        {
            var type = inputTypes[t.Name];
            if (!_inputs.TryGetValue(t.Name, out var buf) || !buf.Shape.SequenceEqual(t.Shape) || buf.Type != type)
            {
                buf?.Dispose();
                buf = new DeviceBuffer(OrtValue.CreateAllocatedTensorValue(_allocator, type, t.Shape), t.Shape, type);
                _inputs[t.Name] = buf;
                rebind = true;
            }

            if (t.IsStatic && ReferenceEquals(buf.LastHostArray, t.Data)) continue;
            using var host = OnnxComponentSession.CreateHostValue(t, type);
            OrtEnv.Instance().CopyTensors([host], [buf.Value], null);
            buf.LastHostArray = t.IsStatic ? t.Data : null;
        }

        // 2. Output buffers with known shapes keep fixed addresses; unknown shapes are allocated by ORT per run.
        if (outputShapes is not null)
        {
            for (int i = 0; i < outputNames.Count; i++)
            {
                var shape = outputShapes[i];
                var type = _session.OutputMetadata[outputNames[i]].ElementDataType;
                if (!_outputs.TryGetValue(outputNames[i], out var buf) || !buf.Shape.SequenceEqual(shape))
                {
                    buf?.Dispose();
                    buf = new DeviceBuffer(OrtValue.CreateAllocatedTensorValue(_allocator, type, shape), shape, type);
                    _outputs[outputNames[i]] = buf;
                    rebind = true;
                }
            }
        }

        // 3. Bind once per signature.
        if (rebind || _binding is null)
        {
            _binding?.Dispose();
            _binding = _session.CreateIoBinding();
            foreach (var (name, buf) in _inputs) _binding.BindInput(name, buf.Value);
            foreach (var name in outputNames)
            {
                if (outputShapes is not null) _binding.BindOutput(name, _outputs[name].Value);
                else _binding.BindOutputToDevice(name, _deviceMemory);
            }

            _boundSignature = signature;
        }

        // 4. Run (capture on the first run of a graph id, replay afterwards).
        using var runOptions = new RunOptions();
        if (_settings.EnableCudaGraph)
            runOptions.AddRunConfigEntry("gpu_graph_id", _graphIds.For(signature).ToString(CultureInfo.InvariantCulture));
        _binding.SynchronizeBoundInputs();
        _session.RunWithBinding(runOptions, _binding);
        _binding.SynchronizeBoundOutputs();

        // 5. Device → host copies of the outputs.
        var results = new float[outputNames.Count][];
        if (outputShapes is not null)
        {
            for (int i = 0; i < outputNames.Count; i++) results[i] = CopyToHost(_outputs[outputNames[i]].Value);
        }
        else
        {
            using var values = _binding.GetOutputValues();
            int k = 0;
            foreach (var v in values) results[k++] = CopyToHost(v);
        }

        return results;
    }

    private static float[] CopyToHost(OrtValue device)
    {
        var info = device.GetTensorTypeAndShape();
        long[] shape = info.Shape;
        if (info.ElementDataType == TensorElementType.Float16)
        {
            var h = new Float16[info.ElementCount];
            using var hostH = OrtValue.CreateTensorValueFromMemory(h, shape);
            OrtEnv.Instance().CopyTensors([device], [hostH], null);
            var f = new float[h.Length];
            for (int i = 0; i < h.Length; i++) f[i] = (float)h[i];
            return f;
        }

        var result = new float[info.ElementCount];
        using var host = OrtValue.CreateTensorValueFromMemory(result, shape);
        OrtEnv.Instance().CopyTensors([device], [host], null);
        return result;
    }

    public void Dispose()
    {
        _binding?.Dispose();
        foreach (var b in _inputs.Values) b.Dispose();
        foreach (var b in _outputs.Values) b.Dispose();
        _allocator.Dispose();
        _deviceMemory.Dispose();
    }
}
