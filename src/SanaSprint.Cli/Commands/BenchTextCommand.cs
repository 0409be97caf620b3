using System.CommandLine;
using Microsoft.Extensions.Logging;
using SanaSprint.Inference;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Text;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>bench-text [--tokens N] [--layers N] [--device auto|cuda|cpu] [--work DIR]</c>: the prompt-path benchmark
/// (<see cref="PromptEncoderBench"/>): writes a Gemma-2-2B-architecture text encoder with deterministic random weights, builds its graph, and
/// reports build time, one N-token encode (cache miss), a second encode and a cache hit through <see cref="PromptEncoder"/>.
/// The demo checkpoint's tokenizer supplies the ids (any Gemma SentencePiece model fits the 256k vocabulary).
/// A benchmark, not a test: the full size needs ≈ 11 GB of disk and memory.
/// </summary>
internal static class BenchTextCommand
{
    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var tokens = new Option<int>("--tokens") { Description = "Prompt window N (default 300, SANA's max_sequence_length).", DefaultValueFactory = _ => 300 };
        var layers = new Option<int>("--layers") { Description = "Decoder layers (26 for Gemma-2-2B; fewer for a quick look).", DefaultValueFactory = _ => 26 };
        var device = new Option<string>("--device") { Description = "Execution provider: auto, cuda or cpu.", DefaultValueFactory = _ => "auto" };
        var work = new Option<string?>("--work") { Description = "Scratch folder (default: a temporary folder, deleted afterwards)." };
        var cache = new Option<string?>("--cache") { Description = "Cache folder holding the demo checkpoint (default ~/.cache/sanasprint)." };
        var command = new Command("bench-text", "Benchmark the Gemma-2-2B prompt encoder: graph build, one N-token encode, cache hit.") { tokens, layers, device, work, cache };
        command.SetAction(parse => Run(parse.GetValue(tokens), parse.GetValue(layers), parse.GetValue(device)!, parse.GetValue(work), parse.GetValue(cache)));
        return command;
    }

    private static int Run(int tokens, int layers, string device, string? work, string? cache)
    {
        if (layers < 1) { Console.Error.WriteLine($"error: `--layers` must be at least 1 but is {layers}."); return 1; }
        if (tokens < 2) { Console.Error.WriteLine($"error: `--tokens` must be at least 2 but is {tokens}."); return 1; }
        var options = new InferenceOptions { Device = device, CacheDirectory = cache };
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        var provider = ExecutionProviders.Select(options, loggerFactory.CreateLogger("bench-text"));
        var sessions = new OnnxSessionFactory(provider, options, loggerFactory);
        var demo = DemoCheckpoint.EnsureCreated(options.ResolveCacheDirectory());
        var tokenizer = GemmaTokenizer.FromDirectory(Path.Combine(demo.PipelineDirectory, "tokenizer"));

        string directory = work ?? Path.Combine(Path.GetTempPath(), "sanasprint-bench-text-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var config = new Gemma2Config() with { NumHiddenLayers = layers };
            var progress = new Progress<string>(m => Console.Error.WriteLine($"[bench-text] {m}"));
            var result = PromptEncoderBench.Run(directory, sessions, tokenizer, config, tokens, progress);
            Console.WriteLine($"# SanaSprint bench-text (Gemma-2-2B architecture, {layers} layers, random weights)");
            Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            Console.WriteLine(result);
            return 0;
        }
        finally
        {
            if (work is null) try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }
}
