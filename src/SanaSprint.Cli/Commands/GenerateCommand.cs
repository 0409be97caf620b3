using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanaSprint.Inference;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Imaging;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>generate [--checkpoint DIR] [--controlnet DIR] --prompt "…" [--sketch in.png] [--mode text|controlnet|img2img]
/// [--strength x] --steps N --seed S --size WxH --out out.png</c>: one frame to a PNG file. Without <c>--checkpoint</c>
/// the embedded demo checkpoint is generated (once) and used.
/// </summary>
internal static class GenerateCommand
{
    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "SANA-Sprint diffusers folder (with model_index.json). Default: the embedded demo checkpoint." };
        var controlnet = new Option<string?>("--controlnet") { Description = "Sana ControlNet diffusers folder (enables --mode controlnet)." };
        var prompt = new Option<string>("--prompt") { Description = "The prompt.", Required = true };
        var sketch = new Option<string?>("--sketch") { Description = "Sketch image (dark strokes on a light background) for controlnet/img2img." };
        var mode = new Option<string>("--mode") { Description = "Guidance: text, controlnet or img2img.", DefaultValueFactory = _ => "text" };
        mode.AcceptOnlyFromAmong("text", "controlnet", "img2img");
        var strength = new Option<float>("--strength") { Description = "img2img strength in [0, 1] (0 keeps the sketch, 1 ignores it).", DefaultValueFactory = _ => 0.6f };
        var controlScale = new Option<float>("--control-scale") { Description = "ControlNet conditioning scale.", DefaultValueFactory = _ => 1.0f };
        var guidance = new Option<float>("--guidance") { Description = "Guidance scale (embedded × 0.1).", DefaultValueFactory = _ => 4.5f };
        var steps = new Option<int>("--steps") { Description = "sCM steps, 1–4.", DefaultValueFactory = _ => 2 };
        var seed = new Option<long>("--seed") { Description = "Noise seed.", DefaultValueFactory = _ => 0 };
        var size = new Option<string>("--size") { Description = "Output size WxH (multiples of the autoencoder factor, 32).", DefaultValueFactory = _ => "512x512" };
        var output = new Option<string>("--out") { Description = "Output PNG file.", Required = true };
        var device = new Option<string>("--device") { Description = "Execution provider: auto, cuda or cpu.", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cuda", "cpu");
        var cache = new Option<string?>("--cache") { Description = "Cache folder for graphs and the demo checkpoint (default ~/.cache/sanasprint)." };
        var decoder = new Option<string>("--decoder")
        {
            Description = "Autoencoder of the frame: full (the DC-AE, as downloads and refinement frames) or preview (the tiny autoencoder of live frames).",
            DefaultValueFactory = _ => "full",
        };
        decoder.AcceptOnlyFromAmong("full", "preview");
        var previewDecoder = new Option<string?>("--preview-decoder")
        {
            Description = "Tiny autoencoder for --decoder preview: a TAESana folder, ENCODER;DECODER files, or 'none'. Default: the demo checkpoint's own when it is in use.",
        };
        var command = new Command("generate", "Generate one image from a prompt (and optionally a sketch).")
        {
            checkpoint, controlnet, prompt, sketch, mode, strength, controlScale, guidance, steps, seed, size, output, device, cache, decoder, previewDecoder,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new InferenceOptions
            {
                CheckpointPath = parse.GetValue(checkpoint),
                ControlNetPath = parse.GetValue(controlnet),
                Device = parse.GetValue(device)!,
                CacheDirectory = parse.GetValue(cache),
                WarmupSize = 0,
                PreviewDecoderPath = parse.GetValue(previewDecoder),
            };
            var (w, h) = ParseSize(parse.GetValue(size)!);
            var request = new GenerationRequest
            {
                Prompt = parse.GetValue(prompt)!,
                Width = w,
                Height = h,
                Steps = parse.GetValue(steps),
                Seed = parse.GetValue(seed),
                Mode = ParseMode(parse.GetValue(mode)!),
                Strength = parse.GetValue(strength),
                ControlScale = parse.GetValue(controlScale),
                GuidanceScale = parse.GetValue(guidance),
                Sketch = parse.GetValue(sketch) is { } path ? RgbImageFiles.Read(path) : null,
                Decoder = parse.GetValue(decoder) == "preview" ? FrameDecoder.Preview : FrameDecoder.Full,
            };
            return await RunAsync(options, request, parse.GetValue(output)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct);
        });
        return command;
    }

    /// <summary>Loads the model, generates the frame, writes the PNG and prints the stage timings; returns the exit code.</summary>
    public static async Task<int> RunAsync(InferenceOptions options, GenerationRequest request, string outPath, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Information));
        using var pipeline = new SanaSprintPipeline(Options.Create(options), loggerFactory, EmbeddedDemoCheckpoint.Instance);
        await pipeline.LoadAsync(ct);
        var info = pipeline.Info;
        if (!info.IsAvailable)
        {
            await stderr.WriteLineAsync($"error: {info.UnavailableReason}");
            return 1;
        }

        if (info.IsDemo) await stderr.WriteLineAsync($"note: {info.DemoNotice}");
        IReadOnlyList<GenerationResult> results;
        try
        {
            results = await pipeline.GenerateAsync([request], ct);
        }
        catch (ArgumentException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }

        var r = results[0];
        RgbImageFiles.WritePng(r.Image, outPath);
        var t = r.Timings;
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{outPath}: {r.Image.Width}x{r.Image.Height}, {info.ModelName} on {info.Provider}, {request.Mode}, {request.Steps} step(s), seed {request.Seed}, {(r.Decoder == FrameDecoder.Preview ? "preview" : "full")} decode"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"text {Ms(t.Text)} | control/sketch encode {Ms(t.ControlEncode)} | steps {string.Join(" + ", t.Steps.Select(Ms))} | decode {Ms(t.Decode)} | total {Ms(t.Total)}"));
        return 0;
    }

    /// <summary>Parses <c>WxH</c>.</summary>
    /// <exception cref="ArgumentException">Not two positive integers.</exception>
    public static (int Width, int Height) ParseSize(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) && w > 0 && h > 0)
            return (w, h);
        throw new ArgumentException($"`--size` must be WxH (e.g. 512x512) but is '{text}'.");
    }

    private static GuidanceMode ParseMode(string mode) => mode switch
    {
        "controlnet" => GuidanceMode.ControlNet,
        "img2img" => GuidanceMode.Img2Img,
        _ => GuidanceMode.Text,
    };

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:F1} ms");
}
