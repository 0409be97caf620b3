namespace SanaSprint.Inference.Precision;

/// <summary>The largest tap of one kind in one component, and what it means for fp16.</summary>
/// <param name="Component">Component.</param>
/// <param name="Kind">Tap kind (<see cref="PrecisionTaps"/>).</param>
/// <param name="Taps">Taps of this kind.</param>
/// <param name="MaxAbs">Largest |x| among them.</param>
/// <param name="Location">Where it was.</param>
/// <param name="Verdict">One of the <see cref="PrecisionAuditReport"/> verdicts.</param>
public sealed record KindVerdict(string Component, string Kind, int Taps, double MaxAbs, string Location, string Verdict);
