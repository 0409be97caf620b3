using System.CommandLine;
using System.Globalization;
using System.Reflection;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>verify-golden DIR</c>: runs one golden case folder through the project's own code with the first
/// <see cref="IGoldenVerifier"/> (found by reflection) that accepts it, prints per output max |Δ| and
/// max |Δ| / max |ref|, and exits 0 within tolerance, 1 beyond it (or on error), 2 when no verifier fits.
/// </summary>
internal static class VerifyGoldenCommand
{
    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "A golden case folder (golden.safetensors + the component's files)." };
        var command = new Command("verify-golden", "Check one reference case against the project's own implementation.") { dir };
        command.SetAction(parse => Run(parse.GetValue(dir)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Every concrete <see cref="IGoldenVerifier"/> with a public parameterless constructor in the loaded
    /// SanaSprint assemblies, in name order.</summary>
    public static IReadOnlyList<IGoldenVerifier> DiscoverVerifiers()
    {
        var assemblies = new[] { typeof(IGoldenVerifier).Assembly, typeof(VerifyGoldenCommand).Assembly }.Distinct();
        return assemblies
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IGoldenVerifier).IsAssignableFrom(t)
                        && t.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IGoldenVerifier)Activator.CreateInstance(t)!)
            .ToList();
    }

    /// <summary>Verifies a folder; returns the exit code.</summary>
    public static int Run(string directory, TextWriter stdout, TextWriter error)
    {
        if (!Directory.Exists(directory))
        {
            error.WriteLine($"`DIR` {directory} does not exist.");
            return 2;
        }
        var verifiers = DiscoverVerifiers();
        var verifier = verifiers.FirstOrDefault(v => v.CanVerify(directory));
        if (verifier is null)
        {
            error.WriteLine($"No verifier understands {directory} (tried {string.Join(", ", verifiers.Select(v => v.GetType().Name))}).");
            return 2;
        }
        try
        {
            var report = verifier.Verify(directory, new Progress<string>(m => error.WriteLine(m)));
            stdout.WriteLine($"{report.Case} ({report.Kind}) via {verifier.GetType().Name}");
            foreach (var c in report.Comparisons)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {c.Name,-36} max|Δ| {c.MaxAbsError,10:E2}  max|Δ|/max|ref| {c.MaxRelError,10:E2}  tol {c.Tolerance:E0}  {(c.Passed ? "ok" : "FAIL")}"));
            stdout.WriteLine(report.Passed ? "PASSED" : "FAILED");
            return report.Passed ? 0 : 1;
        }
        catch (Exception ex) when (ex is CheckpointException or IOException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            error.WriteLine($"verify-golden failed: {ex.Message}");
            return 1;
        }
    }
}
