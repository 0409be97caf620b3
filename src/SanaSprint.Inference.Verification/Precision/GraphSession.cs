using Microsoft.ML.OnnxRuntime;

namespace SanaSprint.Inference.Verification.Precision;

/// <summary>A saved graph run on the CPU on named host inputs, returning every declared output in order.</summary>
internal sealed class GraphSession : IDisposable
{
    private readonly InferenceSession _session;

    public GraphSession(string component, string modelPath, int threads)
    {
        Component = component;
        using var options = new SessionOptions { IntraOpNumThreads = threads };
        _session = new InferenceSession(modelPath, options);
    }

    public string Component { get; }

    public IReadOnlyList<string> InputNames => _session.InputNames;

    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    /// <summary>Runs on the inputs the graph declares, taken by name from <paramref name="available"/>.</summary>
    public List<float[]> Run(IReadOnlyDictionary<string, (Array Data, long[] Shape)> available)
    {
        var values = new List<OrtValue>(_session.InputNames.Count);
        try
        {
            foreach (var name in _session.InputNames)
            {
                if (!available.TryGetValue(name, out var input))
                    throw new InvalidOperationException($"{Component}: graph input '{name}' is not one the comparison provides ({string.Join(", ", available.Keys)}).");
                values.Add(input.Data is long[] l ? OrtValue.CreateTensorValueFromMemory(l, input.Shape) : OrtValue.CreateTensorValueFromMemory((float[])input.Data, input.Shape));
            }

            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, _session.InputNames, values, _session.OutputNames);
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToList();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();
}
