using System.Text.Json;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies a prompt-encoding case (diffusers <c>encode_prompt</c>: <c>meta.json</c> with <c>prompts</c> and <c>calls</c>,
/// <c>golden.safetensors</c> with <c>in.tokenized_ids.{tag}</c>, <c>out.prompt_embeds.{attn}.{tag}</c>, ...): runs the
/// project's <see cref="PromptEncoder"/> for every call (instruction on/off) and attention variant and compares the
/// window ids and mask and the selected ids and mask exactly, and the raw and selected embeddings within 1e-4 at
/// real-token positions.
/// </summary>
/// <remarks>
/// The text encoder folder is <c>meta.json</c> → <c>text_encoder</c> (first word, relative to the case); the tokenizer is
/// the nearest folder with <c>tokenizer.model</c> among the case, the text encoder's parent and the case's parent
/// (<c>tokenizer/</c> subfolders included).
/// <para>The embeddings are compared for the pipeline's default preprocessing (diffusers: <c>lower().strip()</c>), which is
/// what the reference's <c>encode_prompt</c> ran: its embeddings match only the lower-cased prompts. Its recorded ids
/// (<c>in.tokenized_ids</c>, <c>selected_ids</c>) were tokenized from the prompts as given, so ids are compared for the
/// prompts without lower-casing (names say so); for lower-case prompts both agree.</para>
/// </remarks>
public sealed class TextPromptGoldenVerifier : IGoldenVerifier
{
    /// <inheritdoc />
    public bool CanVerify(string caseDirectory)
    {
        if (!GoldenCase.IsCase(caseDirectory) || !File.Exists(Path.Combine(caseDirectory, "meta.json"))) return false;
        try
        {
            using var meta = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(caseDirectory, "meta.json")));
            return meta.RootElement.TryGetProperty("calls", out _) && meta.RootElement.TryGetProperty("prompts", out _)
                && TextEncoderDirectory(caseDirectory, meta) is { } te && TextGoldenCases.IsGemma2Folder(te)
                && TokenizerDirectory(caseDirectory, te) is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        using var golden = GoldenCase.Open(caseDirectory);
        var meta = golden.Meta ?? throw new InvalidDataException($"{caseDirectory}: meta.json is missing.");
        string textEncoder = TextEncoderDirectory(caseDirectory, meta) ?? throw new InvalidDataException($"{caseDirectory}/meta.json: no 'text_encoder' folder.");
        string tokenizerDirectory = TokenizerDirectory(caseDirectory, textEncoder) ?? throw new InvalidDataException($"{caseDirectory}: no tokenizer.model found near the case.");
        var tokenizer = new GemmaPromptTokenizer(GemmaTokenizer.FromDirectory(tokenizerDirectory));
        var prompts = meta.RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        var comparisons = new List<GoldenComparison>();
        using var temp = new TextGoldenCases.TempFolder();

        foreach (var attention in new[] { Gemma2AttentionImplementation.Eager, Gemma2AttentionImplementation.Sdpa })
        {
            string attn = attention.ToString().ToLowerInvariant();
            if (!golden.OutputKeys.Any(k => k.StartsWith($"out.prompt_embeds.{attn}.", StringComparison.Ordinal))) continue;
            var graph = new Gemma2GraphOptions { Attention = attention };
            progress?.Report($"building Gemma-2 ({graph.CacheText})");
            using var encoder = Gemma2TextEncoder.Load(textEncoder, TextGoldenCases.CpuSessions, Path.Combine(temp.Path, graph.CacheText), graph);
            using var service = new PromptEncoder(tokenizer, encoder);

            foreach (var call in meta.RootElement.GetProperty("calls").EnumerateArray())
            {
                string tag = call.GetProperty("tag").GetString()!;
                var options = new PromptEncodingOptions
                {
                    UseComplexHumanInstruction = call.TryGetProperty("complex_human_instruction", out var chi) && chi.ValueKind == JsonValueKind.Array && chi.GetArrayLength() > 0,
                    MaxSequenceLength = call.GetProperty("max_sequence_length").GetInt32(),
                };

                // 1. Recorded tokens: window and selection, for the prompts as given (once per tag)
                var recorded = tokenizer.Tokenize(prompts, options with { LowerCase = false });
                if (attention == Gemma2AttentionImplementation.Eager || !golden.OutputKeys.Any(k => k.StartsWith("out.prompt_embeds.eager.", StringComparison.Ordinal)))
                {
                    comparisons.Add(TextTokenizerGoldenVerifier.Exact($"in.tokenized_ids.{tag} (prompts as given)", [(golden.Read($"in.tokenized_ids.{tag}").AsLongs(), recorded.Tokens.InputIds)]));
                    comparisons.Add(TextTokenizerGoldenVerifier.Exact($"in.tokenized_mask.{tag} (prompts as given)", [(golden.Read($"in.tokenized_mask.{tag}").AsLongs(), recorded.Tokens.AttentionMask)]));
                    if (call.TryGetProperty("selected_ids", out var selectedIds))
                    {
                        var expectedIds = selectedIds.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt64())).ToArray();
                        comparisons.Add(TextTokenizerGoldenVerifier.Exact($"selected_ids.{tag} (prompts as given)",
                            [(expectedIds, Enumerable.Range(0, prompts.Length).SelectMany(recorded.SelectedIds).ToArray())]));
                    }
                }

                var window = tokenizer.Tokenize(prompts, options);

                // 2. Raw hidden states over the window
                string rawKey = $"out.raw_prompt_embeds.{attn}.{tag}";
                if (golden.Contains(rawKey))
                    comparisons.AddRange(TextGoldenCases.CompareRealTokens(rawKey, encoder.Encode(window.Tokens), golden.Read(rawKey).AsFloats(), window.Tokens.AttentionMask, encoder.HiddenSize));

                // 3. The service's selected embeddings, mask and ids
                var results = service.Encode(prompts, options);
                var mask = results.SelectMany(r => r.Encoding.Mask).ToArray();
                comparisons.Add(TextTokenizerGoldenVerifier.Exact($"out.prompt_attention_mask.{tag} ({attn})", [(golden.Read($"out.prompt_attention_mask.{tag}").AsLongs(), mask)]));

                string embedsKey = $"out.prompt_embeds.{attn}.{tag}";
                comparisons.AddRange(TextGoldenCases.CompareRealTokens(embedsKey, results.SelectMany(r => r.Encoding.Embeddings).ToArray(), golden.Read(embedsKey).AsFloats(), mask, encoder.HiddenSize));
            }
        }

        return new GoldenReport(golden.Name, "encode_prompt", comparisons);
    }

    private static string? TextEncoderDirectory(string caseDirectory, JsonDocument meta)
    {
        if (!meta.RootElement.TryGetProperty("text_encoder", out var te) || te.ValueKind != JsonValueKind.String) return null;
        var first = te.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (first is null) return null;
        var path = Path.GetFullPath(Path.Combine(caseDirectory, first));
        return Directory.Exists(path) ? path : null;
    }

    private static string? TokenizerDirectory(string caseDirectory, string textEncoderDirectory)
    {
        var parentOfEncoder = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(textEncoderDirectory))!;
        var parentOfCase = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(caseDirectory)))!;
        foreach (var dir in new[] { caseDirectory, parentOfEncoder, parentOfCase })
        {
            foreach (var candidate in new[] { dir, Path.Combine(dir, "tokenizer") })
            {
                if (File.Exists(Path.Combine(candidate, GemmaTokenizer.ModelFileName))) return candidate;
            }
        }

        return null;
    }
}
