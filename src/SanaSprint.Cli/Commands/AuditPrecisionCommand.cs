using System.CommandLine;
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
        var options = new PrecisionCommandOptions();
        var command = new Command("audit-precision", "Measure the fp32 graphs' largest activations against fp16's range: where fp16 is safe.");
        options.AddTo(command);
        command.SetAction((parse, ct) =>
            Task.FromResult(Run(options.Read(parse), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct)));
        return command;
    }

    /// <summary>Runs the audit and prints the report; returns the exit code (0: done, 1: the checkpoint or size is unusable).</summary>
    public static int Run(PrecisionAuditSettings settings, TextWriter output, TextWriter error, CancellationToken ct) =>
        PrecisionCommandOptions.Run("audit-precision", (loggers, progress) => PrecisionAudit.Run(settings, loggers, progress, ct).Write, output, error);
}
