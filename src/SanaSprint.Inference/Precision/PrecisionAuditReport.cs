using System.Globalization;

namespace SanaSprint.Inference.Precision;

/// <summary>
/// The audit's findings: each tap's largest |x| against fp16's largest finite value (65504) with a margin of
/// <see cref="Margin"/>× (an activation within 8× of the limit overflows on a slightly different prompt, seed or size),
/// and a verdict per kind and per component.
/// </summary>
/// <param name="Taps">Every tap, in component and node order.</param>
/// <param name="Frames">Frames run.</param>
/// <param name="Description">What was run (model, size, prompts, seeds, modes).</param>
public sealed record PrecisionAuditReport(IReadOnlyList<TapResult> Taps, int Frames, string Description)
{
    /// <summary>fp16's largest finite value.</summary>
    public const double Fp16Max = 65504;

    /// <summary>Head-room asked for below <see cref="Fp16Max"/>.</summary>
    public const double Margin = 8;

    /// <summary>Every tap of the kind stays below 65504 / 8.</summary>
    public const string Fp16Safe = "fp16 safe";

    /// <summary>A tap exceeds 65504 / 8: run that part in bf16 or fp32.</summary>
    public const string WiderTypeNeeded = "bf16 or fp32 needed";

    /// <summary>
    /// A DC-AE RMSNorm input exceeds 65504 / 8: scale the layer before the norm down (its weights and bias by a power of two;
    /// RMSNorm's output does not change with its input's scale, up to eps) or keep that norm's input in fp32.
    /// </summary>
    public const string DcaePreScale = "DC-AE pre-scale (or fp32 there)";

    /// <summary>
    /// Above 65504 / 8, but the value lives in an fp32 island of the fp16 graphs (the linear attentions upcast q, k and v
    /// as diffusers' processors do): fp16 never holds it, so it does not count against the component.
    /// </summary>
    public const string InFp32Island = "above the limit, inside its fp32 island";

    /// <summary>NaN or infinity already in fp32: the checkpoint or inputs are broken, fp16 is not the question.</summary>
    public const string NonFiniteInFp32 = "non-finite in fp32";

    /// <summary>
    /// The largest |x| of the ControlNet residuals the normal sessions returned: equal to the <see cref="PrecisionTaps.ControlResidual"/>
    /// taps' maximum when the taps expose the right values (0 without ControlNet frames).
    /// </summary>
    public double ReturnedControlResidualMaxAbs { get; init; }

    /// <summary>The limit the taps are held to: 65504 / 8.</summary>
    public static double Limit => Fp16Max / Margin;

    /// <summary>The verdict for a largest |x| of a kind of tap.</summary>
    /// <param name="kind">Tap kind.</param>
    /// <param name="maxAbs">Largest |x|.</param>
    /// <param name="nonFinite">NaN or infinite elements seen.</param>
    public static string VerdictFor(string kind, double maxAbs, long nonFinite) =>
        nonFinite > 0 ? NonFiniteInFp32
        : maxAbs <= Limit ? Fp16Safe
        : PrecisionTaps.IsInFp32Island(kind) ? InFp32Island
        : kind == PrecisionTaps.PreNorm ? DcaePreScale
        : WiderTypeNeeded;

    /// <summary>Per component and kind: the largest tap and its verdict.</summary>
    public IReadOnlyList<KindVerdict> Kinds => Taps
        .GroupBy(t => (t.Tap.Component, t.Tap.Kind))
        .Select(g =>
        {
            var top = g.MaxBy(t => t.MaxAbs)!;
            return new KindVerdict(g.Key.Component, g.Key.Kind, g.Count(), top.MaxAbs, top.Tap.Location, VerdictFor(g.Key.Kind, top.MaxAbs, g.Sum(t => t.NonFinite)));
        })
        .ToList();

    /// <summary>
    /// Per component: the worst verdict of its kinds (non-finite, then bf16/fp32, then the DC-AE pre-scale, then fp16 safe;
    /// a value inside an fp32 island counts as fp16 safe).
    /// </summary>
    public IReadOnlyDictionary<string, string> Components => Kinds
        .GroupBy(k => k.Component)
        .ToDictionary(g => g.Key, g => g.Select(k => k.Verdict == InFp32Island ? Fp16Safe : k.Verdict).MaxBy(Severity)!, StringComparer.Ordinal);

    private static int Severity(string verdict) => verdict switch
    {
        NonFiniteInFp32 => 3,
        WiderTypeNeeded => 2,
        DcaePreScale => 1,
        _ => 0,
    };

    /// <summary>Writes the table of kinds and the verdict per component.</summary>
    /// <param name="writer">Where to.</param>
    public void Write(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine("# SanaSprint precision audit (fp32 graphs with taps)");
        writer.WriteLine(Description);
        writer.WriteLine(string.Create(c, $"frames    : {Frames}; fp16 range ±{Fp16Max:F0}, margin {Margin:F0}× → limit {Limit:F0}"));
        writer.WriteLine();
        writer.WriteLine($"{"component",-12} {"value",-27} {"taps",5} {"max |x|",11} {"of limit",9}  {"at",-40} verdict");
        foreach (var k in Kinds)
            writer.WriteLine(string.Create(c, $"{k.Component,-12} {k.Kind,-27} {k.Taps,5} {k.MaxAbs,11:G4} {k.MaxAbs / Limit,9:F3}  {k.Location,-40} {k.Verdict}"));
        writer.WriteLine();
        foreach (var (component, verdict) in Components) writer.WriteLine($"{component,-12} {verdict}");
    }
}
