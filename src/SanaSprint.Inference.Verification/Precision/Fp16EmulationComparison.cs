using System.Globalization;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Precision;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Verification.Precision;

/// <summary>
/// Measures the fp16 build's error on a CPU: the same frames (every prompt × seed, text-to-image and, with a ControlNet,
/// ControlNet; same noise) are made once with the loaded fp32 graphs and once with the transformer, ControlNet and DC-AE
/// rebuilt at fp16 and rewritten by <see cref="Fp16Emulation"/>; each frame's final latent and RGB bytes are compared.
/// </summary>
public static class Fp16EmulationComparison
{
    /// <summary>Runs the comparison (CPU, fp32 reference, the DC-AE built at the requested size).</summary>
    /// <param name="settings">Checkpoint, size, prompts, seeds, steps and threads (as for the precision audit).</param>
    /// <param name="loggerFactory">Logger factory.</param>
    /// <param name="progress">Told what is happening, one line at a time.</param>
    /// <param name="cancellationToken">Checked between frames.</param>
    /// <returns>The report.</returns>
    /// <exception cref="CheckpointException">Missing or malformed checkpoint.</exception>
    /// <exception cref="ArgumentException">A size the model cannot make.</exception>
    public static Fp16EmulationReport Run(PrecisionAuditSettings settings, ILoggerFactory loggerFactory, IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var options = new InferenceOptions
        {
            Device = "cpu", Precision = "fp32", CacheDirectory = settings.CacheDirectory, WarmupSize = 0, IntraOpThreads = settings.Threads,
        };
        var provider = ExecutionProviders.Select(options, loggerFactory.CreateLogger(typeof(Fp16EmulationComparison)));
        string cache = options.ResolveCacheDirectory();
        progress?.Report("loading the fp32 components");
        using var components = SanaSprintLoader.LoadComponents(settings.PipelineDirectory, settings.ControlNetDirectory, options, provider, cache, loggerFactory);
        var info = components.Info;
        int f = info.VaeScaleFactor;
        if (settings.Width <= 0 || settings.Height <= 0 || settings.Width % f != 0 || settings.Height % f != 0)
            throw new ArgumentException($"`--size` must be positive multiples of {f} but is {settings.Width}x{settings.Height}.");

        string scratch = Path.Combine(cache, "fp16-emulation", Guid.NewGuid().ToString("N"));
        var sessions = new Dictionary<string, GraphSession>(StringComparer.Ordinal);
        try
        {
            var (innerDim, rounded) = BuildSessions(settings, scratch, sessions, progress);
            var reference = new EmulatedComponents(components, new Dictionary<string, GraphSession>(), innerDim);
            var emulated = new EmulatedComponents(components, sessions, innerDim);
            var modes = new List<GuidanceMode> { GuidanceMode.Text };
            if (info.HasControlNet) modes.Add(GuidanceMode.ControlNet);
            var sketch = PrecisionAudit.Sketch(settings.Width, settings.Height);
            var frames = new List<Fp16EmulationFrame>();
            using var fp32Pipeline = new SanaSprintPipeline(new InferenceOptions { WarmupSize = 0 }, () => reference);
            using var fp16Pipeline = new SanaSprintPipeline(new InferenceOptions { WarmupSize = 0 }, () => emulated);
            foreach (var prompt in settings.Prompts)
                foreach (var seed in settings.Seeds)
                    foreach (var mode in modes)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"frame {frames.Count + 1}: {mode}, seed {seed}, \"{prompt}\""));
                        var request = new GenerationRequest
                        {
                            Prompt = prompt,
                            Width = settings.Width,
                            Height = settings.Height,
                            Steps = settings.Steps,
                            Seed = seed,
                            Mode = mode,
                            Sketch = mode == GuidanceMode.Text ? null : sketch,
                            Embedding = info.HasTextEncoder ? null : PrecisionAudit.Embedding(prompt, info.CaptionChannels),
                        };
                        var expected = fp32Pipeline.Generate([request], cancellationToken, null)[0].Image;
                        var expectedLatents = reference.LastLatents!;
                        var actual = fp16Pipeline.Generate([request], cancellationToken, null)[0].Image;
                        frames.Add(new Fp16EmulationFrame(mode, seed, prompt, RelativeRms(emulated.LastLatents!, expectedLatents), Psnr(actual.Pixels, expected.Pixels)));
                    }

            string description = string.Create(CultureInfo.InvariantCulture,
                $"model     : {settings.PipelineDirectory}{(settings.ControlNetDirectory is null ? "" : " + ControlNet " + settings.ControlNetDirectory)}\n" +
                $"frames of : {settings.Width}x{settings.Height}, {settings.Steps} steps, fp32 vs fp16 emulated (fp32 islands kept), CPU");
            return new Fp16EmulationReport(frames, description, rounded);
        }
        finally
        {
            foreach (var s in sessions.Values) s.Dispose();
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

    /// <summary>‖a − e‖ / ‖e‖ (0 when both are zero).</summary>
    public static double RelativeRms(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"Lengths differ: {actual.Length} vs {expected.Length}.", nameof(actual));
        double diff = 0, norm = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }

        return norm == 0 ? (diff == 0 ? 0 : double.PositiveInfinity) : Math.Sqrt(diff / norm);
    }

    /// <summary>PSNR of 8-bit samples in dB: 10·log10(255² / MSE), infinite when they are equal.</summary>
    public static double Psnr(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> expected)
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"Lengths differ: {actual.Length} vs {expected.Length}.", nameof(actual));
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = actual[i] - expected[i];
            sum += d * d;
        }

        return sum == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / (sum / actual.Length));
    }

    /// <summary>Builds the fp16 graphs, emulates them and opens them; returns the transformer width and the rounded-value counts.</summary>
    private static (int InnerDim, Dictionary<string, int> Rounded) BuildSessions(PrecisionAuditSettings s, string scratch,
        Dictionary<string, GraphSession> sessions, IProgress<string>? progress)
    {
        var rounded = new Dictionary<string, int>(StringComparer.Ordinal);
        void Open(string component, GraphBuilder graph)
        {
            rounded[component] = Fp16Emulation.Apply(graph);
            var saved = OnnxModelWriter.Save(graph, Path.Combine(scratch, component, "model.onnx"), WeightStorage.SingleFile);
            sessions[component] = new GraphSession(component, saved.ModelPath, s.Threads);
        }

        var fp16 = new ModelBuildOptions { Precision = GraphPrecision.Fp16 };
        var folder = DiffusersFolder.Open(s.PipelineDirectory);
        var transformerConfig = ComponentConfig.Load(folder.ComponentPath("transformer"));
        int innerDim = transformerConfig.Deserialize<SanaTransformer2DConfig>().InnerDim;
        int controlBlocks = 0;
        if (s.ControlNetDirectory is not null)
        {
            var controlConfig = ComponentConfig.Load(s.ControlNetDirectory);
            controlBlocks = ModelCatalog.Describe(controlConfig, ModelRole.ControlNet).ControlBlocks;
            progress?.Report("building the emulated ControlNet");
            using var weights = SafetensorsCheckpoint.Open(controlConfig.Directory);
            Open("controlnet", ModelCatalog.Build(controlConfig, weights, fp16));
        }

        progress?.Report("building the emulated transformer");
        using (var weights = SafetensorsCheckpoint.Open(transformerConfig.Directory))
            Open("transformer", ModelCatalog.Build(transformerConfig, weights, fp16 with { ControlBlocks = controlBlocks }));

        progress?.Report("building the emulated DC-AE");
        var vaeConfig = ComponentConfig.Load(folder.ComponentPath("vae"));
        var dcae = vaeConfig.Deserialize<AutoencoderDCConfig>();
        int f = ModelCatalog.Describe(vaeConfig, ModelRole.Autoencoder).VaeScaleFactor;
        using (var weights = SafetensorsCheckpoint.Open(vaeConfig.Directory))
        {
            Open("vae_encoder", AutoencoderDC.Build(AutoencoderDCPart.Encoder, dcae, weights,
                new AutoencoderDCBuildOptions { InputSize = (s.Height, s.Width), Precision = GraphPrecision.Fp16 }, vaeConfig.Path));
            Open("vae_decoder", AutoencoderDC.Build(AutoencoderDCPart.Decoder, dcae, weights,
                new AutoencoderDCBuildOptions { InputSize = (s.Height / f, s.Width / f), Precision = GraphPrecision.Fp16 }, vaeConfig.Path));
        }

        return (innerDim, rounded);
    }
}
