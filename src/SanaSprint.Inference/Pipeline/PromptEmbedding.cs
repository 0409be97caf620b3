namespace SanaSprint.Inference.Pipeline;

/// <summary>Prompt embeddings supplied directly (bypassing the text encoder).</summary>
/// <param name="Embeddings">[tokens, caption_channels] row-major.</param>
/// <param name="Mask">[tokens], 1 = real token, 0 = padding.</param>
/// <param name="Tokens">Number of token positions.</param>
/// <param name="Channels">caption_channels.</param>
public sealed record PromptEmbedding(float[] Embeddings, long[] Mask, int Tokens, int Channels);
