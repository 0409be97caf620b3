using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanaSprint.Inference;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>bench [--checkpoint DIR] [--runs N] [--size WxH] [--batch 1,2,4,8]</c>: per-stage latency (median and p95 over N runs
/// after warm-up), throughput per batch size, the batched-vs-serial ratio measured in the same process, the share
/// of each frame spent outside ONNX Runtime and in which recipe stage (<see cref="HostTimeObserver"/>, an
/// <see cref="IPipelineObserver"/>), and the garbage collections.
/// Prints the machine and the execution provider. Without
/// <c>--checkpoint</c> it runs the embedded demo checkpoint.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Benchmark settings.</summary>
    /// <param name="Runs">Measured runs per batch size.</param>
    /// <param name="Warmup">Warm-up runs per batch size.</param>
    /// <param name="Width">Frame width.</param>
    /// <param name="Height">Frame height.</param>
    /// <param name="Steps">sCM steps.</param>
    /// <param name="Batches">Batch sizes.</param>
    /// <param name="Mode">Guidance mode.</param>
    /// <param name="SameSketch">Every run draws the same sketch (its encoded latent is then cached: a refinement or a
    /// prompt change); otherwise each run's sketch has a new stroke, as live drawing does, and is encoded.</param>
    internal sealed record Settings(int Runs, int Warmup, int Width, int Height, int Steps, IReadOnlyList<int> Batches, GuidanceMode Mode,
        bool SameSketch = false);

    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "SANA-Sprint diffusers folder. Default: the embedded demo checkpoint." };
        var controlnet = new Option<string?>("--controlnet") { Description = "Sana ControlNet folder (for --mode controlnet)." };
        var runs = new Option<int>("--runs") { Description = "Measured runs per batch size.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up runs per batch size (not measured).", DefaultValueFactory = _ => 2 };
        var size = new Option<string>("--size") { Description = "Frame size WxH.", DefaultValueFactory = _ => "512x512" };
        var batch = new Option<string>("--batch") { Description = "Comma-separated batch sizes.", DefaultValueFactory = _ => "1,2,4,8" };
        var steps = new Option<int>("--steps") { Description = "sCM steps, 1–4.", DefaultValueFactory = _ => 2 };
        var mode = new Option<string>("--mode") { Description = "Guidance: text, controlnet or img2img.", DefaultValueFactory = _ => "text" };
        mode.AcceptOnlyFromAmong("text", "controlnet", "img2img");
        var device = new Option<string>("--device") { Description = "Execution provider: auto, cuda or cpu.", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cuda", "cpu");
        var precision = new Option<string>("--precision") { Description = "Graph precision: auto (fp16 on CUDA, fp32 on CPU), fp32 or fp16.", DefaultValueFactory = _ => "auto" };
        precision.AcceptOnlyFromAmong("auto", "fp32", "fp16");
        var cudaGraph = new Option<bool>("--cuda-graph") { Description = "Capture CUDA graphs (CUDA only)." };
        var cache = new Option<string?>("--cache") { Description = "Cache folder (default ~/.cache/sanasprint)." };
        var fullSize = new Option<bool>("--random-full-size")
        {
            Description = "Bench the full-size SANA-Sprint 0.6B architecture (transformer, DC-AE f32c32, 7-block ControlNet) with random weights, written once into the cache folder.",
        };
        var previewDecoder = new Option<string?>("--preview-decoder")
        {
            Description = "Tiny autoencoder for the frames (decode, and ControlNet sketch encode) instead of the DC-AE: a TAESana folder (taesana_encoder / taesana_decoder .pth or .safetensors), ENCODER;DECODER files, or 'none'. Default: the demo checkpoint's own when it is in use, else none.",
        };
        var sameSketch = new Option<bool>("--same-sketch")
        {
            Description = "Keep one sketch for every run (its encoded latent is cached, as for a refinement or a prompt change); by default each run's sketch has a new stroke and is encoded.",
        };
        var command = new Command("bench", "Benchmark per-stage latency, throughput per batch size and batched-vs-serial speed-up.")
        {
            checkpoint, controlnet, runs, warmup, size, batch, steps, mode, device, precision, cudaGraph, cache, fullSize, previewDecoder, sameSketch,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (w, h) = GenerateCommand.ParseSize(parse.GetValue(size)!);
            var batches = parse.GetValue(batch)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"`--batch` must list positive integers but has '{b}'."))
                .ToList();
            var options = new InferenceOptions
            {
                CheckpointPath = parse.GetValue(checkpoint),
                ControlNetPath = parse.GetValue(controlnet),
                Device = parse.GetValue(device)!,
                Precision = parse.GetValue(precision)!,
                EnableCudaGraph = parse.GetValue(cudaGraph),
                CacheDirectory = parse.GetValue(cache),
                WarmupSize = 0,
                PreviewDecoderPath = parse.GetValue(previewDecoder),
            };
            string m = parse.GetValue(mode)!;
            if (parse.GetValue(fullSize))
            {
                var paths = FullSizeRandomCheckpoint.EnsureCreated(Path.Combine(options.ResolveCacheDirectory(), "fullsize-random"),
                    new Progress<string>(line => parse.InvocationConfiguration.Error.WriteLine(line)));
                options.CheckpointPath = paths.PipelineDirectory;
                options.ControlNetPath ??= m == "controlnet" ? paths.ControlNetDirectory : null;
            }

            var settings = new Settings(Math.Max(1, parse.GetValue(runs)), Math.Max(0, parse.GetValue(warmup)), w, h, parse.GetValue(steps), batches,
                m == "controlnet" ? GuidanceMode.ControlNet : m == "img2img" ? GuidanceMode.Img2Img : GuidanceMode.Text, parse.GetValue(sameSketch));
            return await RunAsync(options, settings, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct);
        });
        return command;
    }

    /// <summary>Runs the benchmark and prints the tables; returns the exit code.</summary>
    public static async Task<int> RunAsync(InferenceOptions options, Settings s, TextWriter output, TextWriter error, CancellationToken ct)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var loadWatch = Stopwatch.StartNew();
        using var pipeline = new SanaSprintPipeline(Options.Create(options), loggerFactory, EmbeddedDemoCheckpoint.Instance);
        await pipeline.LoadAsync(ct);
        loadWatch.Stop();
        var info = pipeline.Info;
        if (!info.IsAvailable)
        {
            await error.WriteLineAsync($"error: {info.UnavailableReason}");
            return 1;
        }

        var components = pipeline.Components!;
        output.WriteLine("# SanaSprint bench");
        output.WriteLine($"machine   : {CpuModel()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
        output.WriteLine($"runtime   : ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version}, provider {info.Provider}, precision {info.Precision} (requested {options.Precision})");
        output.WriteLine($"model     : {info.ModelName}{(info.IsDemo ? " (embedded demo checkpoint)" : "")}");
        // A preview autoencoder is loaded from --preview-decoder, or the demo's own when none is given (`none` turns it off).
        var decoder = components is PreviewAutoencoderComponents ? FrameDecoder.Preview : FrameDecoder.Full;
        string autoencoder = decoder == FrameDecoder.Preview ? "TAESana" : "DC-AE";
        output.WriteLine($"decoder   : {(decoder == FrameDecoder.Preview ? $"preview (tiny autoencoder: {options.PreviewDecoderPath ?? "the demo checkpoint's own"})" : "full (DC-AE)")}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"settings  : {s.Width}x{s.Height}, {s.Steps} step(s), {s.Mode}, {s.Warmup} warm-up + {s.Runs} measured runs per batch size"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load      : {loadWatch.Elapsed.TotalSeconds:F2} s (graphs from cache when present)"));

        // Prompt encoding (a cache miss each time; cached prompts cost nothing per frame).
        var sketch = s.Mode == GuidanceMode.Text ? null : ComponentBench.FixedSketch(s.Width, s.Height);
        // Without a text encoder (e.g. --random-full-size) frames take a fixed random embedding: 300 positions, 24 real tokens.
        var embedding = components.Info.HasTextEncoder ? null : ComponentBench.RandomEmbedding(components.Info.CaptionChannels);
        if (components.Info.HasTextEncoder)
        {
            var textTimes = new List<double>();
            for (int i = 0; i < s.Runs + 1; i++)
            {
                var sw = Stopwatch.StartNew();
                components.EncodePrompts([$"bench prompt {i}: a watercolour fox in a snowy forest"]);
                if (i > 0) textTimes.Add(sw.Elapsed.TotalMilliseconds);
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"text      : prompt encode (uncached) median {Median(textTimes):F1} ms, p95 {P95(textTimes):F1} ms; cached per prompt afterwards"));
        }

        output.WriteLine();
        output.WriteLine("| batch | stage | median ms | p95 ms |");
        output.WriteLine("|---:|---|---:|---:|");
        var summary = new List<string>();
        foreach (int b in s.Batches)
        {
            var requests = Enumerable.Range(0, b).Select(i => Request(s, i, sketch) with { Embedding = embedding, Decoder = decoder }).ToList();
            for (int i = 0; i < s.Warmup; i++) pipeline.Generate(requests, ct, null);
            var stages = new Dictionary<string, List<double>>();
            var outside = new List<double>();
            var wall = new List<double>();
            int[] gcBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            var pauseBefore = GC.GetTotalPauseDuration();
            var host = new HostTimeObserver(components);
            for (int run = 0; run < s.Runs; run++)
            {
                var reqs = requests.Select((r, i) => r with
                {
                    Seed = 1000 * run + i,
                    Sketch = s.SameSketch || r.Sketch is null ? r.Sketch : WithStroke(r.Sketch, run * b + i),
                }).ToList();
                var ortBefore = components.RuntimeTime;
                var sw = Stopwatch.StartNew();
                var results = pipeline.Generate(reqs, ct, null, host);
                sw.Stop();
                double ort = (components.RuntimeTime - ortBefore).TotalMilliseconds;
                wall.Add(sw.Elapsed.TotalMilliseconds);
                outside.Add(100.0 * Math.Max(0, sw.Elapsed.TotalMilliseconds - ort) / sw.Elapsed.TotalMilliseconds);
                var t = results[0].Timings;
                Add(stages, "text (cached)", t.Text);
                Add(stages, s.Mode == GuidanceMode.Text ? "control encode (none)" : s.SameSketch ? "sketch (same each run: cached latent)" : $"sketch preprocess + {(s.Mode == GuidanceMode.ControlNet ? autoencoder : "DC-AE")} encode", t.ControlEncode);
                for (int i = 0; i < t.Steps.Count; i++) Add(stages, $"step {i + 1} (transformer{(s.Mode == GuidanceMode.ControlNet ? " + ControlNet" : "")})", t.Steps[i]);
                Add(stages, "decode + postprocess", t.Decode);
                Add(stages, "total (wall)", TimeSpan.FromMilliseconds(sw.Elapsed.TotalMilliseconds));
                // Where the time outside ONNX Runtime goes, by recipe stage (each: the stage's wall time minus the runtime time accrued meanwhile).
                Add(stages, "host: encode prompt (cache lookup, stacking)", host.Text);
                Add(stages, s.Mode == GuidanceMode.Text ? "host: prepare latents (noise)" : "host: prepare latents (noise, sketch preprocess)", host.Prepare);
                Add(stages, "host: denoising steps (scheduler math, noise, runtime calls)", host.Steps);
                Add(stages, "host: decode + postprocess (to RGB bytes)", host.Decode);
                Add(stages, "host: rest (wall − ONNX Runtime − the above)", TimeSpan.FromMilliseconds(Math.Max(0, sw.Elapsed.TotalMilliseconds - ort - host.Sum.TotalMilliseconds)));
            }

            foreach (var (stage, values) in stages)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {b} | {stage} | {Median(values):F2} | {P95(values):F2} |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {b} | outside ONNX Runtime (% of frame) | {Median(outside):F1} % | {P95(outside):F1} % |"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {b} | GC during the {s.Runs} runs: gen0 / gen1 / gen2 collections, total pause | {GC.CollectionCount(0) - gcBefore[0]} / {GC.CollectionCount(1) - gcBefore[1]} / {GC.CollectionCount(2) - gcBefore[2]} | {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:F1} ms |"));

            // Batched vs the same requests one by one, in this process.
            string ratio = "-";
            if (b > 1)
            {
                var serial = new List<double>();
                for (int run = 0; run < s.Runs; run++)
                {
                    var sw = Stopwatch.StartNew();
                    foreach (var r in requests) pipeline.Generate([r with { Seed = 1000 * run }], ct, null);
                    serial.Add(sw.Elapsed.TotalMilliseconds);
                }

                ratio = string.Create(CultureInfo.InvariantCulture, $"{Median(serial) / Median(wall):F2}× (serial {Median(serial):F1} ms vs batched {Median(wall):F1} ms)");
            }

            summary.Add(string.Create(CultureInfo.InvariantCulture, $"| {b} | {1000.0 * b / Median(wall):F2} | {Median(wall) / b:F1} | {ratio} |"));
        }

        output.WriteLine();
        output.WriteLine("| batch | throughput img/s | ms per image | batched vs serial |");
        output.WriteLine("|---:|---:|---:|---|");
        foreach (var line in summary) output.WriteLine(line);
        return 0;
    }

    /// <summary>
    /// The host time of the last batch by recipe stage: each stage's wall time minus the ONNX Runtime time that accrued
    /// meanwhile (so concurrent callers on the same components would blur it; the bench runs one caller).
    /// </summary>
    internal sealed class HostTimeObserver(ISanaSprintComponents components) : IPipelineObserver
    {
        private long _mark;
        private TimeSpan _runtimeMark;

        /// <summary>Prompt encoding (a cache hit included).</summary>
        public TimeSpan Text { get; private set; }

        /// <summary>Initial latents, sketch preprocessing and the DC-AE encode around its runtime call.</summary>
        public TimeSpan Prepare { get; private set; }

        /// <summary>All sCM steps together.</summary>
        public TimeSpan Steps { get; private set; }

        /// <summary>DC-AE decode around its runtime call, and postprocessing.</summary>
        public TimeSpan Decode { get; private set; }

        /// <summary>The sum of the stages above.</summary>
        public TimeSpan Sum => Text + Prepare + Steps + Decode;

        /// <inheritdoc />
        public void BatchStarted(int batchSize)
        {
            Text = Prepare = Steps = Decode = TimeSpan.Zero;
            Mark();
        }

        /// <inheritdoc />
        public void StageEnded(GenerationStage stage, int step)
        {
            var host = Stopwatch.GetElapsedTime(_mark) - (components.RuntimeTime - _runtimeMark);
            if (host < TimeSpan.Zero) host = TimeSpan.Zero;
            switch (stage)
            {
                case GenerationStage.Text: Text += host; break;
                case GenerationStage.Prepare: Prepare += host; break;
                case GenerationStage.Step: Steps += host; break;
                default: Decode += host; break;
            }

            Mark();
        }

        private void Mark()
        {
            _runtimeMark = components.RuntimeTime;
            _mark = Stopwatch.GetTimestamp();
        }
    }

    private static GenerationRequest Request(Settings s, int i, RgbImage? sketch) => new()
    {
        Prompt = "a watercolour fox in a snowy forest",
        Width = s.Width,
        Height = s.Height,
        Steps = s.Steps,
        Seed = i,
        Mode = s.Mode,
        Sketch = sketch,
        Strength = 0.6f,
    };

    /// <summary>A copy of <paramref name="sketch"/> with one more short dark stroke, placed by <paramref name="n"/>: a new drawing to encode.</summary>
    private static RgbImage WithStroke(RgbImage sketch, int n)
    {
        var px = (byte[])sketch.Pixels.Clone();
        int y = (int)((uint)(n * 7919) % (uint)sketch.Height), x0 = (int)((uint)(n * 104729) % (uint)sketch.Width);
        for (int x = x0; x < Math.Min(sketch.Width, x0 + 8); x++) px.AsSpan((y * sketch.Width + x) * 3, 3).Clear();
        return sketch with { Pixels = px };
    }

    private static void Add(Dictionary<string, List<double>> stages, string name, TimeSpan t)
    {
        if (!stages.TryGetValue(name, out var list)) stages[name] = list = [];
        list.Add(t.TotalMilliseconds);
    }

    private static double Median(List<double> v) => Percentile(v, 0.5);

    private static double P95(List<double> v) => Percentile(v, 0.95);

    private static double Percentile(List<double> values, double q)
    {
        var s = values.Order().ToArray();
        if (s.Length == 0) return 0;
        double pos = q * (s.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    private static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
