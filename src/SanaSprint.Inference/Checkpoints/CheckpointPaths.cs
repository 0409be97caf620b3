namespace SanaSprint.Inference.Checkpoints;

/// <summary>Where a checkpoint lives on disk.</summary>
/// <param name="PipelineDirectory">The SANA-Sprint pipeline folder (<c>model_index.json</c>, <c>transformer/</c>, <c>vae/</c>, optionally <c>text_encoder/</c>, <c>tokenizer/</c>, <c>scheduler/</c>).</param>
/// <param name="ControlNetDirectory">The Sana ControlNet folder (<c>config.json</c> + weights).</param>
/// <param name="PreviewAutoencoderDirectory">A tiny autoencoder distilled from this checkpoint's DC-AE (a folder with
/// <c>taesana_encoder</c> and <c>taesana_decoder</c> weights) for live frames when <c>Inference:PreviewDecoderPath</c> is
/// not set; <c>null</c> for none.</param>
public sealed record CheckpointPaths(string PipelineDirectory, string ControlNetDirectory, string? PreviewAutoencoderDirectory = null);
