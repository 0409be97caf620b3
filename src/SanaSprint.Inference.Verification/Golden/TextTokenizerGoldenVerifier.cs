using System.Text.Json;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies a tokenizer case (<c>tokenizer.model</c> + <c>expected.json</c>): every string's ids without and with BOS
/// (sentencepiece semantics), transformers' <c>encode</c> ids, the decoded text, and each padded/truncated batch's
/// <c>input_ids</c> and <c>attention_mask</c> — all exact.
/// </summary>
public sealed class TextTokenizerGoldenVerifier : IGoldenVerifier
{
    /// <inheritdoc />
    public bool CanVerify(string caseDirectory) =>
        File.Exists(Path.Combine(caseDirectory, GemmaTokenizer.ModelFileName)) && File.Exists(Path.Combine(caseDirectory, "expected.json"));

    /// <inheritdoc />
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        var tokenizer = GemmaTokenizer.FromDirectory(caseDirectory);
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(caseDirectory, "expected.json")));
        var root = expected.RootElement;
        var comparisons = new List<GoldenComparison>();

        // 1. Every string: ids, ids with BOS, transformers' encode, decode back
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        progress?.Report($"{cases.Count} strings");
        comparisons.Add(Exact("ids", cases.Select(c => (Ints(c.GetProperty("ids")), tokenizer.Encode(Text(c), addBos: false, SpecialTokenMatching.SentencePiece).Select(i => (long)i).ToArray()))));
        comparisons.Add(Exact("ids_with_bos", cases.Select(c => (Ints(c.GetProperty("ids_with_bos")), tokenizer.Encode(Text(c), addBos: true, SpecialTokenMatching.SentencePiece).Select(i => (long)i).ToArray()))));
        if (cases.All(c => c.TryGetProperty("hf_encode", out _)))
            comparisons.Add(Exact("hf_encode", cases.Select(c => (Ints(c.GetProperty("hf_encode")), tokenizer.Encode(Text(c)).Select(i => (long)i).ToArray()))));
        int wrongDecodes = cases.Count(c => tokenizer.Decode(Ints(c.GetProperty("ids")).Select(i => (int)i)) != c.GetProperty("decoded").GetString());
        comparisons.Add(new GoldenComparison("decoded", wrongDecodes, wrongDecodes, 0, wrongDecodes == 0));

        // 2. Padded / truncated batches
        int index = 0;
        foreach (var call in root.TryGetProperty("hf_tokenizer_calls", out var calls) ? calls.EnumerateArray() : Enumerable.Empty<JsonElement>())
        {
            var texts = call.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
            var batch = tokenizer.EncodeBatch(texts, call.GetProperty("max_length").GetInt32());
            comparisons.Add(Exact($"batch{index}.input_ids", [(Flatten(call.GetProperty("input_ids")), batch.InputIds)]));
            comparisons.Add(Exact($"batch{index}.attention_mask", [(Flatten(call.GetProperty("attention_mask")), batch.AttentionMask)]));
            index++;
        }

        return new GoldenReport(Path.GetFileName(Path.TrimEndingDirectorySeparator(caseDirectory)), "GemmaTokenizer", comparisons);
    }

    private static string Text(JsonElement c) => c.GetProperty("text").GetString()!;

    private static long[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt64())];

    private static long[] Flatten(JsonElement rows) => [.. rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt64()))];

    /// <summary>Exact integer comparison over several sequences: max |Δ| (∞ when lengths differ), passed when all equal.</summary>
    internal static GoldenComparison Exact(string name, IEnumerable<(long[] Expected, long[] Actual)> pairs)
    {
        double max = 0;
        bool any = false;
        foreach (var (e, a) in pairs)
        {
            any = true;
            if (e.Length != a.Length)
            {
                max = double.PositiveInfinity;
                continue;
            }

            for (int i = 0; i < e.Length; i++) max = Math.Max(max, Math.Abs(e[i] - a[i]));
        }

        return new GoldenComparison(name, max, max, 0, any && max == 0);
    }
}
