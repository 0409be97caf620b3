using System.Text.Json;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Verification;

/// <summary>Helpers shared by the text golden verifiers and tests.</summary>
public static class TextGoldenCases
{
    /// <summary>A CPU session factory for verification runs.</summary>
    public static OnnxSessionFactory CpuSessions { get; } =
        new(new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "golden verification runs on CPU", null), new InferenceOptions());

    /// <summary>True when the folder holds a <c>config.json</c> whose <c>model_type</c> is <c>gemma2</c>.</summary>
    public static bool IsGemma2Folder(string directory)
    {
        string config = Path.Combine(directory, "config.json");
        if (!File.Exists(config)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(config));
            return doc.RootElement.TryGetProperty("model_type", out var type) && type.GetString() == "gemma2";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>True when the case's <c>golden.safetensors</c> holds every key.</summary>
    public static bool HasKeys(string caseDirectory, params string[] keys)
    {
        try
        {
            using var golden = GoldenCase.Open(caseDirectory);
            return keys.All(golden.Contains);
        }
        catch (CheckpointException)
        {
            return false;
        }
    }

    /// <summary>The attention variants recorded under <c>{prefix}eager</c> / <c>{prefix}sdpa</c>.</summary>
    public static IEnumerable<Gemma2AttentionImplementation> AttentionsIn(IEnumerable<string> keys, string prefix)
    {
        var set = keys.ToHashSet(StringComparer.Ordinal);
        foreach (var a in new[] { Gemma2AttentionImplementation.Eager, Gemma2AttentionImplementation.Sdpa })
        {
            if (set.Contains(prefix + a.ToString().ToLowerInvariant())) yield return a;
        }
    }

    /// <summary>
    /// Compares [rows, hidden] tensors at real-token rows (mask ≠ 0) within rtol = atol = 1e-4, and checks that padded
    /// rows are finite (reported as <c>{name}[padded] finite</c>, error = count of non-finite values).
    /// </summary>
    public static IEnumerable<GoldenComparison> CompareRealTokens(string name, float[] actual, float[] expected, long[] mask, int hidden)
    {
        if (actual.Length != expected.Length || actual.Length != mask.Length * hidden)
        {
            yield return new GoldenComparison(name, double.PositiveInfinity, double.PositiveInfinity, 1e-4, false);
            yield break;
        }

        List<float> real = [], reference = [];
        long nonFinite = 0, padded = 0;
        for (int t = 0; t < mask.Length; t++)
        {
            var a = actual.AsSpan(t * hidden, hidden);
            if (mask[t] != 0)
            {
                real.AddRange(a);
                reference.AddRange(expected.AsSpan(t * hidden, hidden));
            }
            else
            {
                padded++;
                foreach (var v in a) if (!float.IsFinite(v)) nonFinite++;
            }
        }

        yield return TensorComparer.AllClose($"{name}[real tokens]", real.ToArray(), reference.ToArray(), 1e-4, 1e-4);
        if (padded > 0)
            yield return new GoldenComparison($"{name}[padded] finite", nonFinite, nonFinite, 0, nonFinite == 0);
    }

    /// <summary>A temporary folder deleted on dispose.</summary>
    public sealed class TempFolder : IDisposable
    {
        /// <summary>The folder.</summary>
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sanasprint-golden-" + Guid.NewGuid().ToString("N")[..12]);

        /// <summary>Creates the folder.</summary>
        public TempFolder() => Directory.CreateDirectory(Path);

        /// <summary>Deletes the folder.</summary>
        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // A session may still map a file on some platforms; the OS temp cleaner takes it.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
