using System.CommandLine;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Precision;
using SanaSprint.Inference.Verification.Precision;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>emulate-fp16 [--checkpoint DIR] [--controlnet DIR] [--size WxH] [--seeds N] [--prompts N]</c>: makes the same frames with
/// the fp32 graphs and with the fp16 build emulated on the CPU (<see cref="Fp16Emulation"/>) and prints, per frame, the final
/// latent's relative RMS error and the image's PSNR against fp32. Without <c>--checkpoint</c> it uses the embedded demo
/// checkpoint (with its ControlNet).
/// </summary>
internal static class EmulateFp16Command
{
    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "SANA-Sprint diffusers folder. Default: the embedded demo checkpoint." };
        var controlnet = new Option<string?>("--controlnet") { Description = "Sana ControlNet folder (adds ControlNet frames)." };
        var size = new Option<string>("--size") { Description = "Frame size WxH.", DefaultValueFactory = _ => "1024x1024" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per prompt (0, 1, …).", DefaultValueFactory = _ => 2 };
        var prompts = new Option<int>("--prompts") { Description = "How many of the audit's prompts to use.", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "CPU threads per session (0: ONNX Runtime's default).", DefaultValueFactory = _ => 0 };
        var cache = new Option<string?>("--cache") { Description = "Cache folder (default ~/.cache/sanasprint)." };
        var command = new Command("emulate-fp16", "Measure the fp16 build's error on the CPU: latent relative RMS and image PSNR against fp32.")
        {
            checkpoint, controlnet, size, seeds, prompts, threads, cache,
        };
        command.SetAction((parse, ct) =>
        {
            var (w, h) = GenerateCommand.ParseSize(parse.GetValue(size)!);
            string cacheDirectory = new InferenceOptions { CacheDirectory = parse.GetValue(cache) }.ResolveCacheDirectory();
            string? pipeline = parse.GetValue(checkpoint);
            string? controlNet = parse.GetValue(controlnet);
            if (pipeline is null)
            {
                var demo = EmbeddedDemoCheckpoint.Instance.EnsureCreated(cacheDirectory);
                pipeline = demo.PipelineDirectory;
                controlNet ??= demo.ControlNetDirectory;
            }

            var defaults = new PrecisionAuditSettings { PipelineDirectory = "", CacheDirectory = "" };
            var settings = defaults with
            {
                PipelineDirectory = Path.GetFullPath(pipeline),
                ControlNetDirectory = controlNet is null ? null : Path.GetFullPath(controlNet),
                CacheDirectory = cacheDirectory,
                Width = w,
                Height = h,
                Prompts = [.. defaults.Prompts.Take(Math.Clamp(parse.GetValue(prompts), 1, defaults.Prompts.Count))],
                Seeds = [.. Enumerable.Range(0, Math.Max(1, parse.GetValue(seeds))).Select(i => (long)i)],
                Threads = parse.GetValue(threads),
            };
            return Task.FromResult(Run(settings, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        });
        return command;
    }

    /// <summary>Runs the comparison and prints the report; returns the exit code (0: done, 1: the checkpoint or size is unusable).</summary>
    public static int Run(PrecisionAuditSettings settings, TextWriter output, TextWriter error, CancellationToken ct)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        try
        {
            var report = Fp16EmulationComparison.Run(settings, loggerFactory, new LineProgress(error), ct);
            report.Write(output);
            return 0;
        }
        catch (Exception ex) when (ex is CheckpointException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"emulate-fp16 failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Writes each progress line at once, on the reporting thread.</summary>
    private sealed class LineProgress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine(value);
    }
}
