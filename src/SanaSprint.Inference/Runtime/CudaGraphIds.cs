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
