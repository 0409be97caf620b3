using System.Text.Json;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Golden;

/// <summary>
/// Verifies a Gemma-2 encoder case (<c>text_encoder/</c> with a <c>gemma2</c> config, <c>in.input_ids</c>,
/// <c>in.attention_mask</c>, <c>out.last_hidden_state.{eager|sdpa}</c>): builds the graph, runs it on ONNX Runtime CPU
/// and compares real-token positions within 1e-4; padded positions must be finite.
/// </summary>
public sealed class TextEncoderGoldenVerifier : IGoldenVerifier
{
    /// <inheritdoc />
    public bool CanVerify(string caseDirectory) =>
        GoldenCase.IsCase(caseDirectory) && TextGoldenCases.IsGemma2Folder(Path.Combine(caseDirectory, "text_encoder"))
        && TextGoldenCases.HasKeys(caseDirectory, "in.input_ids", "in.attention_mask");

    /// <inheritdoc />
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        using var golden = GoldenCase.Open(caseDirectory);
        var ids = golden.Read("in.input_ids");
        var mask = golden.Read("in.attention_mask").AsLongs();
        var tokens = new TokenizedBatch(ids.AsLongs(), mask, (int)ids.Shape[0], (int)ids.Shape[1]);
        var comparisons = new List<GoldenComparison>();
        using var temp = new TextGoldenCases.TempFolder();
        foreach (var attention in TextGoldenCases.AttentionsIn(golden.OutputKeys, "out.last_hidden_state."))
        {
            var options = new Gemma2GraphOptions { Attention = attention };
            progress?.Report($"building Gemma-2 ({options.CacheText})");
            using var encoder = Gemma2TextEncoder.Load(Path.Combine(caseDirectory, "text_encoder"), TextGoldenCases.CpuSessions, Path.Combine(temp.Path, options.CacheText), options);
            string suffix = attention.ToString().ToLowerInvariant();
            var actual = encoder.Encode(tokens);
            comparisons.AddRange(TextGoldenCases.CompareRealTokens($"out.last_hidden_state.{suffix}", actual, golden.Read($"out.last_hidden_state.{suffix}").AsFloats(), mask, encoder.HiddenSize));

            // Row 0 again without a mask (pure causal + sliding), when recorded.
            string noMaskKey = $"out.last_hidden_state_nomask_row0.{suffix}";
            if (golden.Contains(noMaskKey))
            {
                int length = tokens.SequenceLength;
                var row = new TokenizedBatch(tokens.InputIds[..length], Enumerable.Repeat(1L, length).ToArray(), 1, length);
                comparisons.Add(TensorComparison.AllClose(noMaskKey, encoder.Encode(row), golden.Read(noMaskKey).AsFloats(), 1e-4, 1e-4));
            }
        }

        return new GoldenReport(golden.Name, "Gemma2Model", comparisons);
    }
}

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

        yield return TensorComparison.AllClose($"{name}[real tokens]", real.ToArray(), reference.ToArray(), 1e-4, 1e-4);
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
