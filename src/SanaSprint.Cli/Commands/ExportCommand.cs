using System.CommandLine;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>export --checkpoint DIR --out FILE.onnx [--part encoder|decoder] [--control-blocks N]
/// [--controlnet-wiring diffusers|nvlabs] [--base-transformer DIR] [--precision fp32|fp16]</c>: writes a standalone
/// ONNX graph of one component plus its external-data file (<c>FILE.onnx.data</c>) beside it.
/// </summary>
internal static class ExportCommand
{
    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Component folder with config.json and safetensors (e.g. <pipeline>/transformer), or a TAESana folder / weights file (taesana_encoder.pth, taesana_decoder.pth).", Required = true };
        var output = new Option<string>("--out") { Description = "The .onnx file to write; weights go to <out>.data.", Required = true };
        var part = new Option<string?>("--part") { Description = "AutoencoderDC or TAESana part: encoder or decoder." };
        part.AcceptOnlyFromAmong("encoder", "decoder");
        var controlBlocks = new Option<int>("--control-blocks") { Description = "Transformer: number of ControlNet residual inputs.", DefaultValueFactory = _ => 0 };
        var wiring = new Option<string>("--controlnet-wiring") { Description = "ControlNet wiring: diffusers or nvlabs.", DefaultValueFactory = _ => "diffusers" };
        wiring.AcceptOnlyFromAmong("diffusers", "nvlabs");
        var baseTransformer = new Option<string?>("--base-transformer") { Description = "NVlabs ControlNet only: the base transformer folder." };
        var precision = new Option<string>("--precision") { Description = "fp32 (CPU reference) or fp16 (GPU, with fp32 islands).", DefaultValueFactory = _ => "fp32" };
        precision.AcceptOnlyFromAmong("fp32", "fp16");

        var command = new Command("export", "Build one component's ONNX graph from a diffusers checkpoint.")
        {
            checkpoint, output, part, controlBlocks, wiring, baseTransformer, precision,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(
            parse.GetValue(checkpoint)!, parse.GetValue(output)!, Options(parse.GetValue(part), parse.GetValue(controlBlocks),
                parse.GetValue(wiring)!, parse.GetValue(baseTransformer), parse.GetValue(precision)!),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken)));
        return command;
    }

    /// <summary>Maps the verb's option values to build options.</summary>
    public static ModelBuildOptions Options(string? part, int controlBlocks, string wiring, string? baseTransformer, string precision) => new()
    {
        Part = part,
        ControlBlocks = controlBlocks,
        ControlNetWiring = wiring == "nvlabs" ? ControlNetWiring.NvLabs : ControlNetWiring.Diffusers,
        BaseTransformerDirectory = baseTransformer,
        Precision = precision == "fp16" ? GraphPrecision.Fp16 : GraphPrecision.Fp32,
    };

    /// <summary>Runs the export; returns the exit code (0 = written, 1 = error, reported on <paramref name="error"/>).</summary>
    public static int Run(string checkpoint, string output, ModelBuildOptions options, TextWriter stdout, TextWriter error,
        CancellationToken cancellationToken = default)
    {
        try
        {
            if (File.Exists(Path.Combine(checkpoint, "model_index.json")) && !File.Exists(Path.Combine(checkpoint, "config.json")))
            {
                error.WriteLine($"`--checkpoint` {checkpoint} is a pipeline folder; pass one component, e.g. {Path.Combine(checkpoint, "transformer")}.");
                return 1;
            }
            var started = System.Diagnostics.Stopwatch.StartNew();
            var saved = ModelCatalog.Export(checkpoint, output, options, new ConsoleProgress(error), cancellationToken);
            stdout.WriteLine($"graph   {saved.ModelPath} ({saved.GraphBytes:N0} bytes)");
            if (saved.DataPath is not null) stdout.WriteLine($"weights {saved.DataPath} ({saved.DataBytes:N0} bytes)");
            stdout.WriteLine($"built in {started.Elapsed.TotalSeconds:F1} s ({options.CacheText})");
            return 0;
        }
        catch (Exception ex) when (ex is CheckpointException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"export failed: {ex.Message}");
            return 1;
        }
    }
}

/// <summary>Draws graph-build progress as a one-line bar on a text writer (stderr by default).</summary>
internal sealed class ConsoleProgress(TextWriter writer) : IProgress<GraphBuildProgress>
{
    private string _lastStage = "";
    private int _lastPercent = -1;

    public void Report(GraphBuildProgress value)
    {
        int percent = (int)(value.Fraction * 100);
        if (value.Stage == _lastStage && percent == _lastPercent) return;
        if (value.Stage != _lastStage && _lastStage.Length > 0) writer.WriteLine();
        _lastStage = value.Stage;
        _lastPercent = percent;
        int filled = percent / 5;
        writer.Write($"\r[{new string('#', filled)}{new string('-', 20 - filled)}] {percent,3}% {value.Stage}");
        if (percent == 100) { writer.WriteLine(); _lastStage = ""; }
    }
}
