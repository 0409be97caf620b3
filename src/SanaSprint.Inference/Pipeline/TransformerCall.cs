namespace SanaSprint.Inference.Pipeline;

/// <summary>One batched transformer call.</summary>
/// <param name="HiddenStates">x_in, [B, C, h, w].</param>
/// <param name="Batch">B.</param>
/// <param name="Height">h (latent cells).</param>
/// <param name="Width">w (latent cells).</param>
/// <param name="Timestep">Flow time t' per sample, [B].</param>
/// <param name="Guidance">Embedded guidance per sample, [B].</param>
/// <param name="PromptEmbeds">[B, L, caption_channels].</param>
/// <param name="Tokens">L.</param>
/// <param name="PromptMask">[B, L], 1 = real token.</param>
/// <param name="ControlBlocks">ControlNet residuals (already × conditioning scale), or null.</param>
public sealed record TransformerCall(float[] HiddenStates, int Batch, int Height, int Width, float[] Timestep, float[] Guidance,
    float[] PromptEmbeds, int Tokens, long[] PromptMask, IReadOnlyList<float[]>? ControlBlocks);
