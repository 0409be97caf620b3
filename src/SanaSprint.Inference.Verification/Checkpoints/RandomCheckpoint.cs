using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SanaSprint.Inference.Checkpoints;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Writes deterministic random checkpoints in diffusers layout (<c>config.json</c> + <c>diffusion_pytorch_model.safetensors</c>)
/// for tests and benchmarks, initialised like the golden cases: norm weights 1 + 0.1·N(0,1), <c>scale_shift_table</c>
/// 0.1·N(0,1), other ≥2-D weights s·N(0,1) with s = clamp(1/√fan_in, 0.02, 0.2), 1-D biases 0.05·N(0,1).
/// Tensors are generated and written one at a time, so memory stays small whatever the model size.
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>Writes <paramref name="folder"/>/config.json (the given JSON object) and the weights file.</summary>
    /// <param name="folder">Component folder (created).</param>
    /// <param name="configJson">The config, including <c>_class_name</c>.</param>
    /// <param name="parameters">Names and shapes, in file order.</param>
    /// <param name="dtype">F32, F16 or BF16.</param>
    /// <param name="seed">Generator seed: the same seed writes the same bytes.</param>
    /// <returns>The safetensors path.</returns>
    public static string Write(string folder, string configJson, IReadOnlyList<(string Name, long[] Shape)> parameters,
        SafetensorsDType dtype = SafetensorsDType.F32, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (dtype == SafetensorsDType.I64) throw new ArgumentException("Weights must be floating.", nameof(dtype));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), configJson);
        string path = Path.Combine(folder, "diffusion_pytorch_model.safetensors");
        WriteSafetensors(path, parameters, dtype, seed);
        return path;
    }

    /// <summary>Writes a safetensors file of random tensors (see the class remarks for the initialisation).</summary>
    public static void WriteSafetensors(string path, IReadOnlyList<(string Name, long[] Shape)> parameters, SafetensorsDType dtype, ulong seed)
    {
        int es = dtype.ElementSize();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var (name, shape) in parameters)
        {
            long bytes = shape.Aggregate(1L, (a, b) => a * b) * es;
            header[name] = new { dtype = dtype.ToHeaderString(), shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int pad = (8 - json.Length % 8) % 8; // keep the data section 8-byte aligned, as the reference writer does
        json = [.. json, .. Enumerable.Repeat((byte)' ', pad)];

        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        var rng = new Normal(seed);
        const int chunk = 1 << 20;
        var values = new float[chunk];
        var bytesBuf = new byte[chunk * es];
        foreach (var (name, shape) in parameters)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            (double mean, double std) = Init(name, shape);
            for (long start = 0; start < count; start += chunk)
            {
                int n = (int)Math.Min(chunk, count - start);
                for (int i = 0; i < n; i++) values[i] = (float)(mean + std * rng.Next());
                var span = bytesBuf.AsSpan(0, n * es);
                switch (dtype)
                {
                    case SafetensorsDType.F32:
                        MemoryMarshal.AsBytes(values.AsSpan(0, n)).CopyTo(span);
                        break;
                    case SafetensorsDType.F16:
                        var h = MemoryMarshal.Cast<byte, Half>(span);
                        for (int i = 0; i < n; i++) h[i] = (Half)values[i];
                        break;
                    case SafetensorsDType.BF16:
                        var b = MemoryMarshal.Cast<byte, ushort>(span);
                        for (int i = 0; i < n; i++)
                        {
                            uint bits = BitConverter.SingleToUInt32Bits(values[i]);
                            b[i] = (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16); // round to nearest even
                        }
                        break;
                }
                f.Write(span);
            }
        }
    }

    private static (double Mean, double Std) Init(string name, long[] shape)
    {
        string leaf = name[(name.LastIndexOf('.') + 1)..];
        if (name.EndsWith("scale_shift_table", StringComparison.Ordinal)) return (0, 0.1);
        bool isNorm = name.Contains("norm", StringComparison.Ordinal);
        if (leaf == "weight" && isNorm && shape.Length == 1) return (1, 0.1);
        if (shape.Length == 1) return (0, 0.05);
        double fanIn = shape.Skip(1).Aggregate(1.0, (a, b) => a * b);
        return (0, Math.Clamp(1 / Math.Sqrt(fanIn), 0.02, 0.2));
    }

    /// <summary>Deterministic N(0,1) from xorshift64* and Box–Muller.</summary>
    private sealed class Normal(ulong seed)
    {
        private ulong _state = seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL;
        private double _spare;
        private bool _hasSpare;

        private double Uniform()
        {
            _state ^= _state >> 12;
            _state ^= _state << 25;
            _state ^= _state >> 27;
            return ((_state * 0x2545F4914F6CDD1DUL) >> 11) * (1.0 / (1UL << 53));
        }

        public double Next()
        {
            if (_hasSpare) { _hasSpare = false; return _spare; }
            double u1 = Math.Max(Uniform(), 1e-300), u2 = Uniform();
            double r = Math.Sqrt(-2 * Math.Log(u1));
            _spare = r * Math.Sin(2 * Math.PI * u2);
            _hasSpare = true;
            return r * Math.Cos(2 * Math.PI * u2);
        }
    }
}
