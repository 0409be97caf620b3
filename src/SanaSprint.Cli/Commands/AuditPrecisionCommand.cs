using System.CommandLine;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Precision;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>audit-precision [--checkpoint DIR] [--controlnet DIR] [--size WxH] [--seeds N]</c>: runs the fp32 graphs with taps on
/// the values that leave fp16's range first (<see cref="PrecisionTaps"/>) over a few prompts and seeds, text-to-image,
/// img2img and ControlNet, and prints each kind's largest |x| against 65504 with an 8× margin and a verdict per component.
/// Without <c>--checkpoint</c> it audits the embedded demo checkpoint (with its ControlNet).
/// </summary>
internal static class AuditPrecisionCommand
{
    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "SANA-Sprint diffusers folder. Default: the embedded demo checkpoint." };
        var controlnet = new Option<string?>("--controlnet") { Description = "Sana ControlNet folder (adds ControlNet frames)." };
        var size = new Option<string>("--size") { Description = "Frame size WxH.", DefaultValueFactory = _ => "1024x1024" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per prompt (0, 1, …).", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "CPU threads per session (0: ONNX Runtime's default).", DefaultValueFactory = _ => 0 };
        var cache = new Option<string?>("--cache") { Description = "Cache folder (default ~/.cache/sanasprint)." };
        var command = new Command("audit-precision", "Measure the fp32 graphs' largest activations against fp16's range: where fp16 is safe.")
        {
            checkpoint, controlnet, size, seeds, threads, cache,
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

            var settings = new PrecisionAuditSettings
            {
                PipelineDirectory = Path.GetFullPath(pipeline),
                ControlNetDirectory = controlNet is null ? null : Path.GetFullPath(controlNet),
                CacheDirectory = cacheDirectory,
                Width = w,
                Height = h,
                Seeds = [.. Enumerable.Range(0, Math.Max(1, parse.GetValue(seeds))).Select(i => (long)i)],
                Threads = parse.GetValue(threads),
            };
            return Task.FromResult(Run(settings, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        });
        return command;
    }

    /// <summary>Runs the audit and prints the report; returns the exit code (0: done, 1: the checkpoint or size is unusable).</summary>
    public static int Run(PrecisionAuditSettings settings, TextWriter output, TextWriter error, CancellationToken ct)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        try
        {
            var report = PrecisionAudit.Run(settings, loggerFactory, new LineProgress(error), ct);
            report.Write(output);
            return 0;
        }
        catch (Exception ex) when (ex is CheckpointException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"audit-precision failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Writes each progress line at once, on the reporting thread (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class LineProgress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine(value);
    }
}
