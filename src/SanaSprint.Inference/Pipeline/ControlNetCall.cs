namespace SanaSprint.Inference.Pipeline;

/// <summary>One batched ControlNet call (same inputs as the transformer, plus the control latent).</summary>
/// <param name="Step">The transformer inputs of this step.</param>
/// <param name="ControlLatent">DC-AE encoder output × scaling_factor, [B, C, h, w].</param>
/// <param name="ConditioningScale">Per-sample conditioning scale, [B].</param>
public sealed record ControlNetCall(TransformerCall Step, float[] ControlLatent, float[] ConditioningScale);
