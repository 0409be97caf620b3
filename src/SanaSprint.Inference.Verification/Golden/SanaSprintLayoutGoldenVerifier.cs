using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Sampling;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies a golden case recorded from prompt text on a pipeline folder in the official Hugging Face layout:
/// <c>golden.safetensors</c> next to a sub-folder with <c>model_index.json</c> (bf16 sharded Gemma-2, bf16 transformer,
/// tokenizer, DC-AE, scheduler). The project's own code loads that folder exactly as a user's checkpoint and, for every
/// recorded run <c>p&lt;prompt&gt;.&lt;H&gt;x&lt;W&gt;.n&lt;steps&gt;</c>, generates from the prompt text with the recorded latents and
/// scheduler noise injected through the noise seam. Compared: tokenizer ids and mask, the Gemma-2 hidden state and the
/// selected prompt embeddings at real-token positions, the selected mask, every transformer call's inputs and output,
/// the decoder input and output and the final image (rtol = atol = 1e-4).
/// </summary>
public sealed partial class SanaSprintLayoutGoldenVerifier : IGoldenVerifier
{
    /// <inheritdoc />
    public bool CanVerify(string caseDirectory)
    {
        if (!File.Exists(Path.Combine(caseDirectory, "golden.safetensors")) || FindPipelineFolder(caseDirectory) is null) return false;
        try
        {
            using var golden = SafetensorsFile.Open(Path.Combine(caseDirectory, "golden.safetensors"));
            return golden.Tensors.Keys.Any(k => TextIdsKey().IsMatch(k)) && golden.Tensors.Keys.Any(k => RunKey().IsMatch(k));
        }
        catch (Exception ex) when (ex is CheckpointException or IOException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        string pipelineDir = FindPipelineFolder(caseDirectory) ?? throw new CheckpointException(caseDirectory, null, "has no sub-folder with model_index.json.");
        using var golden = GoldenCase.Open(caseDirectory);
        var prompts = ReadPrompts(golden);
        var runs = golden.Keys.Select(k => RunKey().Match(k)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        using var scratch = new TextGoldenCases.TempFolder();
        string cache = scratch.Path;
        var comparisons = new List<GoldenComparison>();
        var options = new InferenceOptions { Device = "cpu", Precision = "fp32", CacheDirectory = cache, WarmupSize = 0 };
        var provider = new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "golden verification runs fp32 on CPU", null);
        progress?.Report("layout: loading the pipeline folder (bf16 → fp32 graphs)");
        using var components = SanaSprintLoader.LoadComponents(pipelineDir, null, options, provider, cache, NullLoggerFactory.Instance);
        if (!components.Info.HasTextEncoder) throw new CheckpointException(pipelineDir, null, "has no text encoder, but the golden case runs from prompt text.");

        // 1. Text path: tokenizer window, Gemma-2 hidden state (real tokens), selected embeddings and mask.
        var folder = DiffusersFolder.Open(pipelineDir);
        var tokenizer = new GemmaPromptTokenizer(GemmaTokenizer.FromDirectory(folder.ComponentPath("tokenizer")));
        using var encoder = Gemma2TextEncoder.Load(folder.ComponentPath("text_encoder"), new OnnxSessionFactory(provider, options), new GraphCache(cache), Gemma2GraphOptions.Default);
        foreach (var (index, prompt) in prompts)
        {
            progress?.Report($"layout: text p{index}");
            string p = $"out.p{index}.";
            var tokens = tokenizer.Tokenize([prompt], PromptEncodingOptions.Default);
            var windowMask = tokens.Tokens.AttentionMask;
            comparisons.Add(Exact($"{p}text.input_ids", tokens.Tokens.InputIds, golden.Read($"{p}text.input_ids").AsLongs()));
            comparisons.Add(Exact($"{p}text.attention_mask", windowMask, golden.Read($"{p}text.attention_mask").AsLongs()));
            var hidden = encoder.Encode(tokens.Tokens);
            comparisons.Add(Masked($"{p}text.last_hidden_state", hidden, golden.Read($"{p}text.last_hidden_state").AsFloats(), windowMask));
            var embedding = components.EncodePrompts([prompt])[0];
            var selectedMask = golden.Read($"{p}prompt_attention_mask").AsLongs();
            comparisons.Add(Exact($"{p}prompt_attention_mask", embedding.Mask, selectedMask));
            comparisons.Add(Masked($"{p}prompt_embeds", embedding.Embeddings, golden.Read($"{p}prompt_embeds").AsFloats(), selectedMask));
        }

        // 2. Every run from prompt text, with the recorded noise.
        foreach (var key in runs)
        {
            var m = RunParts().Match(key);
            int prompt = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            int height = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), width = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            int steps = int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
            progress?.Report($"layout: {key}");
            var draws = new Dictionary<int, float[]> { [0] = golden.Read($"in.p{prompt}.{height}x{width}.latents").AsFloats() };
            for (int i = 0; i < steps; i++) draws[i + 1] = golden.Read($"in.{key}.step{i}.scheduler_noise").AsFloats();
            var request = new GenerationRequest { Prompt = prompts[prompt], Width = width, Height = height, Steps = steps, GuidanceScale = 4.5f };
            var trace = new SanaSprintPipelineGoldenVerifier.RecordingTrace();
            using var pipeline = new SanaSprintPipeline(options, () => new SanaSprintPipelineGoldenVerifier.NonOwningComponents(components), new RecordedNoiseSource(draws));
            pipeline.Generate([request], CancellationToken.None, trace);
            comparisons.AddRange(SanaSprintPipelineGoldenVerifier.Compare(golden, trace, key + ".", steps));
        }

        return new GoldenReport(golden.Name, "sana_sprint_layout", comparisons);
    }

    /// <summary>The pipeline folder: meta.json's <c>pipeline_folder</c>, else the only sub-folder with model_index.json.</summary>
    private static string? FindPipelineFolder(string caseDirectory)
    {
        if (!Directory.Exists(caseDirectory)) return null;
        string meta = Path.Combine(caseDirectory, "meta.json");
        if (File.Exists(meta))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(meta));
                if (doc.RootElement.TryGetProperty("pipeline_folder", out var f) && f.GetString() is { } name
                    && File.Exists(Path.Combine(caseDirectory, name, "model_index.json")))
                    return Path.Combine(caseDirectory, name);
            }
            catch (JsonException)
            {
            }
        }

        var candidates = Directory.EnumerateDirectories(caseDirectory).Where(d => File.Exists(Path.Combine(d, "model_index.json"))).ToList();
        return candidates.Count == 1 ? candidates[0] : null;
    }

    /// <summary>Prompt texts by index, from meta.json's <c>prompts</c>.</summary>
    private static Dictionary<int, string> ReadPrompts(GoldenCase golden)
    {
        if (golden.Meta is not { } meta || !meta.RootElement.TryGetProperty("prompts", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new CheckpointException(Path.Combine(golden.Directory, "meta.json"), null, "has no 'prompts' list (the prompt texts of the recorded runs).");
        return list.EnumerateArray().Select((p, i) => (i, p.GetString() ?? "")).ToDictionary(x => x.i, x => x.Item2);
    }

    private static GoldenComparison Exact(string name, long[] actual, long[] expected)
    {
        if (actual.Length != expected.Length)
            return new GoldenComparison($"{name} ({actual.Length} values, expected {expected.Length})", double.PositiveInfinity, double.PositiveInfinity, 0, false);
        int mismatches = actual.Zip(expected).Count(p => p.First != p.Second);
        return new GoldenComparison(mismatches == 0 ? name : $"{name} ({mismatches} mismatches)", mismatches, mismatches == 0 ? 0 : 1, 0, mismatches == 0);
    }

    /// <summary>Compares only the rows (last axis = channels) whose mask is 1: padded positions are not meaningful.</summary>
    private static GoldenComparison Masked(string name, float[] actual, float[] expected, long[] mask)
    {
        if (actual.Length != expected.Length || mask.Length == 0 || expected.Length % mask.Length != 0)
            return new GoldenComparison($"{name} ({actual.Length} values, expected {expected.Length})", double.PositiveInfinity, double.PositiveInfinity, TensorComparer.DefaultTolerance, false);
        int channels = expected.Length / mask.Length;
        var a = new List<float>();
        var e = new List<float>();
        for (int t = 0; t < mask.Length; t++)
        {
            if (mask[t] == 0) continue;
            a.AddRange(actual.AsSpan(t * channels, channels).ToArray());
            e.AddRange(expected.AsSpan(t * channels, channels).ToArray());
        }

        return TensorComparer.AllClose($"{name} (real tokens)", a.ToArray(), e.ToArray(), TensorComparer.DefaultTolerance, TensorComparer.DefaultTolerance);
    }

    [GeneratedRegex(@"^out\.p\d+\.text\.input_ids$")]
    private static partial Regex TextIdsKey();

    [GeneratedRegex(@"^out\.(p\d+\.\d+x\d+\.n\d+)\.vae_decode_output$")]
    private static partial Regex RunKey();

    [GeneratedRegex(@"^p(\d+)\.(\d+)x(\d+)\.n(\d+)$")]
    private static partial Regex RunParts();
}
