using System.Globalization;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Precision;

/// <summary>
/// Measures how large the activations of a checkpoint's fp32 graphs get, to decide where fp16 is safe: the components
/// are loaded as for serving (CPU, fp32), and every call the pipeline makes also runs the same component rebuilt with
/// <see cref="PrecisionTaps"/> as extra outputs (the DC-AE at the audited size, so that its EfficientViT branches are fixed
/// and tappable). Frames: every prompt × seed, text-to-image, img2img and ControlNet (when a ControlNet is given), with
/// <see cref="PrecisionAuditSettings.Steps"/> steps each (two: both timesteps of the two-step schedule).
/// </summary>
public static class PrecisionAudit
{
    /// <summary>Runs the audit.</summary>
    /// <param name="settings">What to audit.</param>
    /// <param name="loggerFactory">Logger factory.</param>
    /// <param name="progress">Told what is happening, one line at a time.</param>
    /// <param name="cancellationToken">Checked between frames.</param>
    /// <returns>The report.</returns>
    /// <exception cref="CheckpointException">Missing or malformed checkpoint.</exception>
    /// <exception cref="ArgumentException">A size the model cannot make.</exception>
    public static PrecisionAuditReport Run(PrecisionAuditSettings settings, ILoggerFactory loggerFactory, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var options = new InferenceOptions
        {
            Device = "cpu", Precision = "fp32", CacheDirectory = settings.CacheDirectory, WarmupSize = 0, IntraOpThreads = settings.Threads,
        };
        var provider = ExecutionProviders.Select(options, loggerFactory.CreateLogger(typeof(PrecisionAudit)));
        string cache = options.ResolveCacheDirectory();
        progress?.Report("loading the components");
        var components = SanaSprintLoader.LoadComponents(settings.PipelineDirectory, settings.ControlNetDirectory, options, provider, cache, loggerFactory);
        var info = components.Info;
        int f = info.VaeScaleFactor;
        if (settings.Width <= 0 || settings.Height <= 0 || settings.Width % f != 0 || settings.Height % f != 0)
        {
            components.Dispose();
            throw new ArgumentException($"`--size` must be positive multiples of {f} but is {settings.Width}x{settings.Height}.");
        }

        string scratch = Path.Combine(cache, "precision-audit", Guid.NewGuid().ToString("N"));
        var statistics = new TapStatistics();
        try
        {
            Dictionary<string, TappedSession> sessions;
            int innerDim;
            try
            {
                (sessions, innerDim) = BuildSessions(settings, scratch, progress);
            }
            catch
            {
                components.Dispose();
                throw;
            }

            var auditing = new AuditingComponents(components, sessions, innerDim, statistics);
            int frames = 0;
            using (var pipeline = new SanaSprintPipeline(new InferenceOptions { WarmupSize = 0 }, () => auditing))
            {
                var modes = new List<GuidanceMode> { GuidanceMode.Text, GuidanceMode.Img2Img };
                if (info.HasControlNet) modes.Add(GuidanceMode.ControlNet);
                var sketch = Sketch(settings.Width, settings.Height);
                foreach (var prompt in settings.Prompts)
                    foreach (var seed in settings.Seeds)
                        foreach (var mode in modes)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"frame {frames + 1}: {mode}, seed {seed}, \"{prompt}\""));
                            pipeline.Generate([new GenerationRequest
                            {
                                Prompt = prompt,
                                Width = settings.Width,
                                Height = settings.Height,
                                Steps = settings.Steps,
                                Seed = seed,
                                Mode = mode,
                                Sketch = mode == GuidanceMode.Text ? null : sketch,
                                Embedding = info.HasTextEncoder ? null : Embedding(prompt, info.CaptionChannels),
                            }], cancellationToken, null);
                            frames++;
                        }
            }

            var taps = sessions.Values.SelectMany(s => s.Taps).Select(t =>
            {
                var (max, nonFinite, runs) = statistics.Of(t);
                return new TapResult(t, max, nonFinite, runs);
            }).ToList();
            string description = string.Create(CultureInfo.InvariantCulture,
                $"model     : {settings.PipelineDirectory}{(settings.ControlNetDirectory is null ? "" : " + ControlNet " + settings.ControlNetDirectory)}\n" +
                $"frames of : {settings.Width}x{settings.Height}, {settings.Steps} steps, {settings.Prompts.Count} prompts × {settings.Seeds.Count} seeds × " +
                $"text, img2img{(info.HasControlNet ? ", ControlNet" : "")}");
            return new PrecisionAuditReport(taps, frames, description) { ReturnedControlResidualMaxAbs = auditing.ControlResidualMaxAbs };
        }
        finally
        {
            try
            {
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
                // A scratch folder left behind is harmless; the report matters more.
            }
        }
    }

    /// <summary>The tapped graphs: transformer (with the ControlNet's residual inputs), ControlNet, DC-AE encoder and decoder at the audited size.</summary>
    private static (Dictionary<string, TappedSession> Sessions, int InnerDim) BuildSessions(PrecisionAuditSettings s, string scratch, IProgress<string>? progress)
    {
        var folder = DiffusersFolder.Open(s.PipelineDirectory);
        var sessions = new Dictionary<string, TappedSession>(StringComparer.Ordinal);
        try
        {
            var transformerConfig = ComponentConfig.Load(folder.ComponentPath("transformer"));
            int innerDim = transformerConfig.Deserialize<SanaTransformer2DConfig>().InnerDim;
            int controlBlocks = 0;
            if (s.ControlNetDirectory is not null)
            {
                var controlConfig = ComponentConfig.Load(s.ControlNetDirectory);
                controlBlocks = ModelCatalog.Describe(controlConfig, ModelRole.ControlNet).ControlBlocks;
                progress?.Report("building the tapped ControlNet");
                using var weights = SafetensorsCheckpoint.Open(controlConfig.Directory);
                sessions["controlnet"] = TappedSession.Create("controlnet", ModelCatalog.Build(controlConfig, weights, new ModelBuildOptions()), scratch, s.Threads);
            }

            progress?.Report("building the tapped transformer");
            using (var weights = SafetensorsCheckpoint.Open(transformerConfig.Directory))
                sessions["transformer"] = TappedSession.Create("transformer",
                    ModelCatalog.Build(transformerConfig, weights, new ModelBuildOptions { ControlBlocks = controlBlocks }), scratch, s.Threads);

            progress?.Report("building the tapped DC-AE");
            var vaeConfig = ComponentConfig.Load(folder.ComponentPath("vae"));
            var dcae = vaeConfig.Deserialize<AutoencoderDCConfig>();
            int f = ModelCatalog.Describe(vaeConfig, ModelRole.Autoencoder).VaeScaleFactor;
            using (var weights = SafetensorsCheckpoint.Open(vaeConfig.Directory))
            {
                sessions["vae_encoder"] = TappedSession.Create("vae_encoder", AutoencoderDC.Build(AutoencoderDCPart.Encoder, dcae, weights,
                    new AutoencoderDCBuildOptions { InputSize = (s.Height, s.Width) }, vaeConfig.Path), scratch, s.Threads);
                sessions["vae_decoder"] = TappedSession.Create("vae_decoder", AutoencoderDC.Build(AutoencoderDCPart.Decoder, dcae, weights,
                    new AutoencoderDCBuildOptions { InputSize = (s.Height / f, s.Width / f) }, vaeConfig.Path), scratch, s.Threads);
            }

            return (sessions, innerDim);
        }
        catch
        {
            foreach (var session in sessions.Values) session.Dispose();
            throw;
        }
    }

    /// <summary>A sketch as the canvas makes them: dark strokes (a circle, a horizon, a house outline) on white.</summary>
    public static RgbImage Sketch(int width, int height)
    {
        var px = new byte[width * height * 3];
        Array.Fill(px, (byte)255);
        int stroke = Math.Max(1, Math.Min(width, height) / 128);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double u = (double)x / width, v = (double)y / height;
                double r = Math.Sqrt((u - 0.75) * (u - 0.75) + (v - 0.2) * (v - 0.2));
                bool sun = Math.Abs(r - 0.1) * Math.Min(width, height) < stroke;
                bool horizon = Math.Abs(v - 0.7) * height < stroke;
                bool house = (Math.Abs(u - 0.2) * width < stroke || Math.Abs(u - 0.45) * width < stroke) && v is > 0.45 and < 0.7
                    || Math.Abs(v - 0.45) * height < stroke && u is > 0.2 and < 0.45;
                if (sun || horizon || house) px.AsSpan((y * width + x) * 3, 3).Clear();
            }

        return new RgbImage(width, height, px);
    }

    /// <summary>A deterministic stand-in embedding for checkpoints without a text encoder (16 tokens, values in [−1, 1]).</summary>
    public static PromptEmbedding Embedding(string prompt, int channels)
    {
        const int Tokens = 16;
        uint hash = 2166136261; // FNV-1a: the same prompt gives the same embedding in every process
        foreach (char ch in prompt) hash = (hash ^ ch) * 16777619;
        var random = new Random((int)(hash & 0x7FFFFFFF));
        var e = new float[Tokens * channels];
        for (int i = 0; i < e.Length; i++) e[i] = (float)(random.NextDouble() * 2 - 1);
        var mask = new long[Tokens];
        Array.Fill(mask, 1L);
        return new PromptEmbedding(e, mask, Tokens, channels);
    }
}
