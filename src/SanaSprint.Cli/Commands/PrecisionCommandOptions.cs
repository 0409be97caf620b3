using System.CommandLine;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Precision;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// What <c>audit-precision</c> and <c>emulate-fp16</c> share: the checkpoint, ControlNet, size, seeds, threads and cache
/// options (no <c>--checkpoint</c>: the embedded demo with its ControlNet), and running a report with its progress on
/// standard error.
/// </summary>
internal sealed class PrecisionCommandOptions
{
    private readonly Option<string?> _checkpoint = new("--checkpoint") { Description = "SANA-Sprint diffusers folder. Default: the embedded demo checkpoint." };
    private readonly Option<string?> _controlnet = new("--controlnet") { Description = "Sana ControlNet folder (adds ControlNet frames)." };
    private readonly Option<string> _size = new("--size") { Description = "Frame size WxH.", DefaultValueFactory = _ => "1024x1024" };
    private readonly Option<int> _seeds = new("--seeds") { Description = "Seeds per prompt (0, 1, …).", DefaultValueFactory = _ => 2 };
    private readonly Option<int> _threads = new("--threads") { Description = "CPU threads per session (0: ONNX Runtime's default).", DefaultValueFactory = _ => 0 };
    private readonly Option<string?> _cache = new("--cache") { Description = "Cache folder (default ~/.cache/sanasprint)." };

    /// <summary>Adds the shared options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _checkpoint, _controlnet, _size, _seeds, _threads, _cache }) command.Options.Add(option);
    }

    /// <summary>The settings the options give (the demo checkpoint unpacked into the cache when none is named).</summary>
    public PrecisionAuditSettings Read(ParseResult parse)
    {
        var (w, h) = GenerateCommand.ParseSize(parse.GetValue(_size)!);
        string cacheDirectory = new InferenceOptions { CacheDirectory = parse.GetValue(_cache) }.ResolveCacheDirectory();
        string? pipeline = parse.GetValue(_checkpoint);
        string? controlNet = parse.GetValue(_controlnet);
        if (pipeline is null)
        {
            var demo = EmbeddedDemoCheckpoint.Instance.EnsureCreated(cacheDirectory);
            pipeline = demo.PipelineDirectory;
            controlNet ??= demo.ControlNetDirectory;
        }

        return new PrecisionAuditSettings
        {
            PipelineDirectory = Path.GetFullPath(pipeline),
            ControlNetDirectory = controlNet is null ? null : Path.GetFullPath(controlNet),
            CacheDirectory = cacheDirectory,
            Width = w,
            Height = h,
            Seeds = [.. Enumerable.Range(0, Math.Max(1, parse.GetValue(_seeds))).Select(i => (long)i)],
            Threads = parse.GetValue(_threads),
        };
    }

    /// <summary>Makes a report and prints it; returns the exit code (0: done, 1: the checkpoint or size is unusable).</summary>
    /// <param name="verb">The verb, for the failure line.</param>
    /// <param name="makeReport">Runs the work with a logger factory and a progress sink; returns a writer of the report.</param>
    /// <param name="output">Where the report goes.</param>
    /// <param name="error">Where progress and failures go.</param>
    public static int Run(string verb, Func<ILoggerFactory, IProgress<string>, Action<TextWriter>> makeReport, TextWriter output, TextWriter error)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        try
        {
            makeReport(loggerFactory, new LineProgress(error))(output);
            return 0;
        }
        catch (Exception ex) when (ex is CheckpointException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{verb} failed: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Writes each progress line at once, on the reporting thread (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class LineProgress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine(value);
    }
}
