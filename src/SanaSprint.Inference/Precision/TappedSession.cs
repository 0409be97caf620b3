using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Onnx;

namespace SanaSprint.Inference.Precision;

/// <summary>
/// An fp32 component graph with its <see cref="PrecisionTaps"/> as extra outputs, saved into a scratch folder and run on the
/// CPU: each <see cref="Run"/> adds the taps' values to a <see cref="TapStatistics"/>.
/// </summary>
public sealed class TappedSession : IDisposable
{
    private readonly InferenceSession _session;

    private TappedSession(string component, InferenceSession session, IReadOnlyList<PrecisionTap> taps)
    {
        Component = component;
        _session = session;
        Taps = taps;
    }

    /// <summary>The component name.</summary>
    public string Component { get; }

    /// <summary>The taps the graph exposes.</summary>
    public IReadOnlyList<PrecisionTap> Taps { get; }

    /// <summary>The graph's input names.</summary>
    public IReadOnlyList<string> InputNames => _session.InputNames;

    /// <summary>Adds the taps to <paramref name="graph"/>, saves it as <c>{component}.onnx</c> in <paramref name="folder"/> and opens it.</summary>
    /// <param name="component">Component name.</param>
    /// <param name="graph">A built fp32 graph (its checkpoint must stay open until this returns).</param>
    /// <param name="folder">Scratch folder.</param>
    /// <param name="threads">CPU threads (0: ONNX Runtime's default).</param>
    /// <returns>The session.</returns>
    public static TappedSession Create(string component, GraphBuilder graph, string folder, int threads)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var taps = PrecisionTaps.Add(graph, component);
        Directory.CreateDirectory(folder);
        var saved = OnnxModelWriter.Save(graph, Path.Combine(folder, component + ".onnx"), WeightStorage.ReferenceCheckpoint);
        using var options = new SessionOptions { IntraOpNumThreads = threads };
        return new TappedSession(component, new InferenceSession(saved.ModelPath, options), taps);
    }

    /// <summary>Runs the graph on the inputs it declares (taken by name from <paramref name="available"/>) and records its taps.</summary>
    /// <param name="available">Inputs by name: <c>float[]</c> or <c>long[]</c> data with its shape.</param>
    /// <param name="statistics">Receives the taps' values.</param>
    /// <exception cref="InvalidOperationException">An input the graph declares is not available.</exception>
    public void Run(IReadOnlyDictionary<string, (Array Data, long[] Shape)> available, TapStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(available);
        ArgumentNullException.ThrowIfNull(statistics);
        var values = new List<OrtValue>(_session.InputNames.Count);
        try
        {
            foreach (var name in _session.InputNames)
            {
                if (!available.TryGetValue(name, out var input))
                    throw new InvalidOperationException($"{Component}: graph input '{name}' is not one the audit provides ({string.Join(", ", available.Keys)}).");
                values.Add(input.Data is long[] l ? OrtValue.CreateTensorValueFromMemory(l, input.Shape) : OrtValue.CreateTensorValueFromMemory((float[])input.Data, input.Shape));
            }

            var names = Taps.Select(t => t.ValueName).ToList();
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, _session.InputNames, values, names);
            for (int i = 0; i < names.Count; i++) statistics.Add(Taps[i], results[i].GetTensorDataAsSpan<float>());
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>Closes the session.</summary>
    public void Dispose() => _session.Dispose();
}
