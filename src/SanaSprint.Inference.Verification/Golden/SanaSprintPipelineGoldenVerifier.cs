using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies a <c>SanaSprintPipeline</c> golden folder with prompt embeddings given (<c>model_index.json</c> +
/// <c>golden.safetensors</c> with <c>in.prompt_embeds</c> and <c>out.nN.*</c>): the project's own pipeline loads the
/// folder like any checkpoint, runs every recorded step count as one batch with the recorded latents and scheduler
/// noise injected through the noise seam, and compares each transformer call's inputs and output, the final latents,
/// the decoder input and output and the final image (fp32, CPU, rtol = atol = 1e-4).
/// </summary>
public sealed partial class SanaSprintPipelineGoldenVerifier : IGoldenVerifier
{
    /// <inheritdoc />
    public bool CanVerify(string caseDirectory)
    {
        string index = Path.Combine(caseDirectory, "model_index.json");
        string golden = Path.Combine(caseDirectory, "golden.safetensors");
        if (!File.Exists(index) || !File.Exists(golden)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(index));
            if (doc.RootElement.GetProperty("_class_name").GetString() != "SanaSprintPipeline") return false;
            using var file = SafetensorsFile.Open(golden);
            return file.Contains("in.prompt_embeds") && file.Tensors.Keys.Any(k => RunKey().IsMatch(k));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or CheckpointException or IOException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        using var golden = GoldenCase.Open(caseDirectory);
        var embeds = golden.Read("in.prompt_embeds");
        var mask = golden.Read("in.prompt_attention_mask").AsLongs();
        int batch = (int)embeds.Shape[0], tokens = (int)embeds.Shape[1], channels = (int)embeds.Shape[2];
        var latents = golden.Read("in.latents").AsFloats();
        var runs = golden.Keys.Select(k => RunKey().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Order().ToList();

        using var scratch = new TextGoldenCases.TempFolder();
        string cache = scratch.Path;
        var comparisons = new List<GoldenComparison>();
        var options = new InferenceOptions { Device = "cpu", Precision = "fp32", CacheDirectory = cache, WarmupSize = 0 };
        var provider = new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "golden verification runs fp32 on CPU", null);
        progress?.Report("pipeline: building graphs");
        using var components = SanaSprintLoader.LoadComponents(caseDirectory, null, options, provider, cache, NullLoggerFactory.Instance);
        foreach (int steps in runs)
        {
            progress?.Report($"pipeline: {steps} step(s), batch {batch}");
            var draws = new Dictionary<int, float[]> { [0] = latents };
            for (int i = 0; i < steps; i++) draws[i + 1] = golden.Read($"in.n{steps}.step{i}.scheduler_noise").AsFloats();
            var outShape = golden.Read($"out.n{steps}.image").Shape; // [B, H, W, 3]
            var requests = Enumerable.Range(0, batch).Select(b => new GenerationRequest
            {
                Width = (int)outShape[2],
                Height = (int)outShape[1],
                Steps = steps,
                GuidanceScale = GuidanceScale(golden, steps),
                Embedding = new PromptEmbedding(embeds.AsFloats().AsSpan(b * tokens * channels, tokens * channels).ToArray(),
                    mask.AsSpan(b * tokens, tokens).ToArray(), tokens, channels),
            }).ToList();
            var trace = new RecordingTrace();
            using var pipeline = new SanaSprintPipeline(options, () => new NonOwningComponents(components), new RecordedNoiseSource(draws));
            pipeline.Generate(requests, CancellationToken.None, trace);
            comparisons.AddRange(Compare(golden, trace, $"n{steps}.", steps));
        }

        return new GoldenReport(golden.Name, "sana_sprint_pipeline", comparisons);
    }

    /// <summary>Compares a traced run with the golden tensors under <paramref name="prefix"/> (e.g. <c>n2.</c>).</summary>
    internal static IEnumerable<GoldenComparison> Compare(GoldenCase golden, RecordingTrace trace, string prefix, int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            foreach (var input in new[] { "hidden_states", "timestep", "guidance" })
            {
                string key = $"in.{prefix}step{i}.{input}";
                if (golden.Contains(key)) yield return Compare(key, trace.Get($"step{i}.{input}"), golden.Read(key).AsFloats());
            }

            string outKey = $"out.{prefix}step{i}.transformer_out";
            yield return Compare(outKey, trace.Get($"step{i}.transformer_out"), golden.Read(outKey).AsFloats());
        }

        foreach (var (name, key) in new[] { ("latents", "latents"), ("vae_decode_input", "vae_decode_input"), ("vae_decode_output", "vae_decode_output"), ("image", "image") })
        {
            string k = $"out.{prefix}{key}";
            if (golden.Contains(k)) yield return Compare(k, trace.Get(name), golden.Read(k).AsFloats());
        }
    }

    private static GoldenComparison Compare(string name, float[] actual, float[] expected) => TensorComparer.AllClose(name, actual, expected);

    private static float GuidanceScale(GoldenCase golden, int steps)
    {
        if (golden.Meta is { } meta && meta.RootElement.TryGetProperty("runs", out var runs) && runs.TryGetProperty($"n{steps}", out var run)
            && run.TryGetProperty("call_kwargs", out var kw) && kw.TryGetProperty("guidance_scale", out var g) && g.ValueKind == JsonValueKind.Number)
            return g.GetSingle();
        return 4.5f;
    }

    [GeneratedRegex(@"^out\.n(\d+)\.vae_decode_output$")]
    private static partial Regex RunKey();

    /// <summary>Keeps every traced tensor (copied).</summary>
    internal sealed class RecordingTrace : IPipelineTrace
    {
        private readonly Dictionary<string, float[]> _tensors = new(StringComparer.Ordinal);

        public void Record(string name, float[] values) => _tensors[name] = (float[])values.Clone();

        public float[] Get(string name) => _tensors.TryGetValue(name, out var v) ? v : [];
    }

    /// <summary>Lends components to a pipeline without handing over their lifetime.</summary>
    internal sealed class NonOwningComponents(ISanaSprintComponents inner) : ISanaSprintComponents
    {
        public SanaSprintModelInfo Info => inner.Info;
        public string Provider => inner.Provider;
        public TimeSpan RuntimeTime => inner.RuntimeTime;
        public IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts) => inner.EncodePrompts(prompts);
        public int? CountPromptTokens(string prompt) => inner.CountPromptTokens(prompt);
        public float[] Transformer(TransformerCall call) => inner.Transformer(call);
        public IReadOnlyList<float[]> ControlNet(ControlNetCall call) => inner.ControlNet(call);
        public float[] ControlledTransformer(ControlNetCall call) => inner.ControlledTransformer(call);
        public float[] EncodeImages(float[] images, int batch, int height, int width) => inner.EncodeImages(images, batch, height, width);
        public void Decode(float[] latents, int batch, int height, int width, Memory<float> destination) => inner.Decode(latents, batch, height, width, destination);
        public void DecodeToImage(float[] latents, int batch, int height, int width, Memory<byte> destination) => inner.DecodeToImage(latents, batch, height, width, destination);
        public void Dispose() { }
    }
}
