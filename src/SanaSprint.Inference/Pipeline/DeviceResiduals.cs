using Microsoft.ML.OnnxRuntime;

namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// The ControlNet residuals of a step in device memory, one set of buffers per shape signature (batch × tokens): the
/// ControlNet's outputs are bound to them and the transformer binds them as its inputs, so they never cross to the host.
/// A signature keeps its buffers while it is used (switching A → B → A binds A's own buffers again, at the same
/// addresses); beyond <see cref="MaxSignatures"/> the least recently used set is released, and the runners, which rebind
/// a device value only when another one is passed, bind the new set on its first use.
/// </summary>
/// <param name="blocks">Buffers per set (the ControlNet's outputs).</param>
/// <param name="allocate">Allocates one buffer of the given shape in the session's device memory.</param>
internal sealed class DeviceResiduals(int blocks, Func<long[], OrtValue> allocate) : IDisposable
{
    private readonly Dictionary<(int Batch, long Tokens), Entry> _sets = [];
    private long _uses;

    private sealed class Entry(OrtValue[] values)
    {
        public OrtValue[] Values { get; } = values;
        public long LastUsed { get; set; }
    }

    /// <summary>Most signatures kept (a set is 33 MB per image for the 0.6B at 1024²).</summary>
    public int MaxSignatures { get; init; } = 8;

    /// <summary>Signatures with buffers.</summary>
    public int Count => _sets.Count;

    /// <summary>The buffers of a signature, [batch, tokens, width] each; the caller holds a lock across their use.</summary>
    /// <param name="batch">B.</param>
    /// <param name="tokens">Latent tokens h·w.</param>
    /// <param name="width">Residual width (inner_dim).</param>
    /// <returns>One buffer per ControlNet output.</returns>
    public OrtValue[] For(int batch, long tokens, long width)
    {
        if (!_sets.TryGetValue((batch, tokens), out var entry))
        {
            if (_sets.Count >= MaxSignatures)
            {
                var oldest = _sets.MinBy(kv => kv.Value.LastUsed);
                foreach (var v in oldest.Value.Values) v.Dispose();
                _sets.Remove(oldest.Key);
            }

            var values = new OrtValue[blocks];
            for (int i = 0; i < blocks; i++) values[i] = allocate([batch, tokens, width]);
            _sets[(batch, tokens)] = entry = new Entry(values);
        }

        entry.LastUsed = ++_uses;
        return entry.Values;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var e in _sets.Values)
            foreach (var v in e.Values) v.Dispose();
        _sets.Clear();
    }
}
