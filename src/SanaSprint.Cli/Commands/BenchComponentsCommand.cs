using System.CommandLine;
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
/// <c>bench-components [--checkpoint DIR] [--size WxH] [--runs N] [--warmup N] [--threads N] [--precision fp32|fp16] [--json FILE] [--dump DIR]</c>:
/// each model component alone, batch 1, fp32 unless told otherwise, on fixed inputs (<see cref="ComponentBench"/>) — prompt encode, ControlNet step,
/// transformer step, DC-AE encode and decode, and the tiny autoencoder when one is loaded — median and p90 over N runs
/// after W warm-up runs, so the same calls can be timed in diffusers on the same machine. Without <c>--checkpoint</c>
/// it runs the embedded demo checkpoint (with its ControlNet and tiny autoencoder). <c>--dump</c> writes every input
/// and the outputs as <c>.npy</c> files, so a reference (<c>tools/reference-bench/cpu_side_by_side.py</c>) runs on the
/// same inputs and reports the parity.
/// </summary>
internal static class BenchComponentsCommand
{
    /// <summary>Benchmark settings.</summary>
    /// <param name="Width">Frame width.</param>
    /// <param name="Height">Frame height.</param>
    /// <param name="Runs">Measured calls per component.</param>
    /// <param name="Warmup">Unmeasured calls per component first.</param>
    /// <param name="JsonPath">Where to write the result as JSON, or null.</param>
    /// <param name="DumpDirectory">Where to write the inputs and outputs as <c>.npy</c> files, or null.</param>
    internal sealed record Settings(int Width, int Height, int Runs, int Warmup, string? JsonPath, string? DumpDirectory = null);

    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "SANA-Sprint diffusers folder. Default: the embedded demo checkpoint." };
        var controlnet = new Option<string?>("--controlnet") { Description = "Sana ControlNet folder (adds the ControlNet step)." };
        var size = new Option<string>("--size") { Description = "Frame size WxH.", DefaultValueFactory = _ => "512x512" };
        var runs = new Option<int>("--runs") { Description = "Measured calls per component.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up calls per component (not measured).", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "CPU threads per session (0: ONNX Runtime's default).", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "Execution provider: auto, cuda or cpu.", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cuda", "cpu");
        var precision = new Option<string>("--precision")
        {
            Description = "Graph precision: fp32 (the reference comparison) or fp16 (float16 graphs with float32 islands, as served on CUDA).",
            DefaultValueFactory = _ => "fp32",
        };
        precision.AcceptOnlyFromAmong("fp32", "fp16");
        var json = new Option<string?>("--json") { Description = "Also write the result as JSON to this file." };
        var dump = new Option<string?>("--dump")
        {
            Description = "Write every input and the last call's outputs as .npy files into this folder (created), for a reference to run on the same inputs.",
        };
        var cache = new Option<string?>("--cache") { Description = "Cache folder (default ~/.cache/sanasprint)." };
        var fullSize = new Option<bool>("--random-full-size")
        {
            Description = "Bench the full-size SANA-Sprint 0.6B architecture (transformer, DC-AE f32c32, 7-block ControlNet) with random weights, written once into the cache folder.",
        };
        var previewDecoder = new Option<string?>("--preview-decoder")
        {
            Description = "Tiny autoencoder to time as well: a TAESana folder, ENCODER;DECODER files, or 'none'. Default: the demo checkpoint's own when it is in use, else none.",
        };
        var command = new Command("bench-components", "Time each model component alone (fp32 or fp16, batch 1, fixed inputs): median and p90 per component.")
        {
            checkpoint, controlnet, size, runs, warmup, threads, device, precision, json, dump, cache, fullSize, previewDecoder,
        };
        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            int w, h;
            try
            {
                (w, h) = GenerateCommand.ParseSize(parse.GetValue(size)!);
            }
            catch (ArgumentException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            if (parse.GetValue(runs) < 1 || parse.GetValue(warmup) < 0 || parse.GetValue(threads) < 0)
            {
                await error.WriteLineAsync("error: `--runs` must be at least 1, and `--warmup` and `--threads` at least 0.");
                return 1;
            }

            var options = new InferenceOptions
            {
                CheckpointPath = parse.GetValue(checkpoint),
                ControlNetPath = parse.GetValue(controlnet),
                Device = parse.GetValue(device)!,
                Precision = parse.GetValue(precision)!,
                IntraOpThreads = parse.GetValue(threads),
                CacheDirectory = parse.GetValue(cache),
                WarmupSize = 0,
                PreviewDecoderPath = parse.GetValue(previewDecoder),
            };
            if (parse.GetValue(fullSize))
            {
                var paths = FullSizeRandomCheckpoint.EnsureCreated(Path.Combine(options.ResolveCacheDirectory(), "fullsize-random"),
                    new Progress<string>(line => error.WriteLine(line)));
                options.CheckpointPath = paths.PipelineDirectory;
                options.ControlNetPath ??= paths.ControlNetDirectory;
            }

            var settings = new Settings(w, h, parse.GetValue(runs), parse.GetValue(warmup), parse.GetValue(json), parse.GetValue(dump));
            return await RunAsync(options, settings, parse.InvocationConfiguration.Output, error, ct);
        });
        return command;
    }

    /// <summary>Loads the checkpoint, times its components and prints the table; returns the exit code (1: unusable checkpoint or size).</summary>
    public static async Task<int> RunAsync(InferenceOptions options, Settings s, TextWriter output, TextWriter error, CancellationToken ct)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        using var pipeline = new SanaSprintPipeline(Options.Create(options), loggerFactory, EmbeddedDemoCheckpoint.Instance);
        await pipeline.LoadAsync(ct);
        var info = pipeline.Info;
        if (!info.IsAvailable || pipeline.Components is not { } components)
        {
            await error.WriteLineAsync($"error: {info.UnavailableReason}");
            return 1;
        }

        if (ComponentBench.SizeError(components.Info, s.Width, s.Height) is { } sizeError)
        {
            await error.WriteLineAsync($"error: `--size`: {sizeError}.");
            return 1;
        }

        if (s.DumpDirectory is { } dumpDirectory) Directory.CreateDirectory(dumpDirectory);
        var result = ComponentBench.Run(components, s.Width, s.Height, s.Runs, s.Warmup, ct, s.DumpDirectory);
        output.WriteLine("# SanaSprint bench-components");
        output.WriteLine($"machine   : {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
        output.WriteLine($"runtime   : ONNX Runtime {typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version}, provider {result.Provider}, precision {result.Precision}, threads {(options.IntraOpThreads == 0 ? "default" : options.IntraOpThreads.ToString(CultureInfo.InvariantCulture))}");
        output.WriteLine($"model     : {info.ModelName}{(info.IsDemo ? " (embedded demo checkpoint)" : "")}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"settings  : {s.Width}x{s.Height}, batch 1, {s.Warmup} warm-up + {s.Runs} measured calls per component"));
        output.WriteLine();
        result.WriteTable(output);
        if (s.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, result.ToJson(), ct);
            output.WriteLine($"json      : {Path.GetFullPath(path)}");
        }

        if (s.DumpDirectory is { } folder) output.WriteLine($"tensors   : {Path.GetFullPath(folder)} (.npy inputs and outputs)");

        return 0;
    }
}
