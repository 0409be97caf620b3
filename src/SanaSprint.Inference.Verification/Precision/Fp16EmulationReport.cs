using System.Globalization;

namespace SanaSprint.Inference.Verification.Precision;

/// <summary>What <see cref="Fp16EmulationComparison.Run"/> measured, frame by frame.</summary>
/// <param name="Frames">The frames.</param>
/// <param name="Description">Model and frame settings, for the printed header.</param>
/// <param name="RoundedValues">Values rounded through fp16 per emulated component (node outputs, weights, constants).</param>
public sealed record Fp16EmulationReport(IReadOnlyList<Fp16EmulationFrame> Frames, string Description, IReadOnlyDictionary<string, int> RoundedValues)
{
    /// <summary>Writes one line per frame and the worst values.</summary>
    public void Write(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(Description);
        output.WriteLine("rounded   : " + string.Join(", ", RoundedValues.Select(kv => string.Create(c, $"{kv.Key} {kv.Value}"))));
        output.WriteLine($"{"mode",-11} {"seed",4}  {"latent rel RMS",14}  {"PSNR dB",8}  prompt");
        foreach (var f in Frames)
            output.WriteLine(string.Create(c, $"{f.Mode,-11} {f.Seed,4}  {f.LatentRelativeRms,14:0.000e+00}  {f.Psnr,8:F2}  {f.Prompt}"));
        if (Frames.Count > 0)
            output.WriteLine(string.Create(c, $"worst      : latent rel RMS {Frames.Max(f => f.LatentRelativeRms):0.000e+00}, PSNR {Frames.Min(f => f.Psnr):F2} dB"));
    }
}
