using System.CommandLine;
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
        var options = new PrecisionCommandOptions();
        var prompts = new Option<int>("--prompts") { Description = "How many of the audit's prompts to use.", DefaultValueFactory = _ => 1 };
        var command = new Command("emulate-fp16", "Measure the fp16 build's error on the CPU: latent relative RMS and image PSNR against fp32.");
        options.AddTo(command);
        command.Options.Add(prompts);
        command.SetAction((parse, ct) =>
        {
            var settings = options.Read(parse);
            settings = settings with { Prompts = [.. settings.Prompts.Take(Math.Clamp(parse.GetValue(prompts), 1, settings.Prompts.Count))] };
            return Task.FromResult(Run(settings, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        });
        return command;
    }

    /// <summary>Runs the comparison and prints the report; returns the exit code (0: done, 1: the checkpoint or size is unusable).</summary>
    public static int Run(PrecisionAuditSettings settings, TextWriter output, TextWriter error, CancellationToken ct) =>
        PrecisionCommandOptions.Run("emulate-fp16", (loggers, progress) => Fp16EmulationComparison.Run(settings, loggers, progress, ct).Write, output, error);
}
