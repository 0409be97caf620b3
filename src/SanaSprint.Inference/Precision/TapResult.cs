namespace SanaSprint.Inference.Precision;

/// <summary>One tap's largest magnitude over the audit's frames.</summary>
/// <param name="Tap">The tap.</param>
/// <param name="MaxAbs">Largest |x| among its finite elements.</param>
/// <param name="NonFinite">NaN or infinite elements seen (fp32).</param>
/// <param name="Runs">Graph runs it was seen in.</param>
public sealed record TapResult(PrecisionTap Tap, double MaxAbs, long NonFinite, long Runs);
