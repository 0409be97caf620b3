namespace SanaSprint.Inference.Precision;

/// <summary>One intermediate value of a component graph that the precision audit watches.</summary>
/// <param name="Component">The component (<c>transformer</c>, <c>controlnet</c>, <c>vae_encoder</c>, <c>vae_decoder</c>).</param>
/// <param name="Kind">What the value is (see <see cref="PrecisionTaps"/>), e.g. <c>residual stream</c>.</param>
/// <param name="Location">The module path it belongs to, e.g. <c>transformer_blocks.3.ff</c>.</param>
/// <param name="ValueName">The graph value's name.</param>
public sealed record PrecisionTap(string Component, string Kind, string Location, string ValueName);
