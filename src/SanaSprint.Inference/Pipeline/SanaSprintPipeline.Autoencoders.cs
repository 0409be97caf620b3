namespace SanaSprint.Inference.Pipeline;

/// <summary>Which autoencoder a batch uses: the checkpoint's DC-AE, or the preview autoencoder for live frames.</summary>
public sealed partial class SanaSprintPipeline
{
    /// <summary>The autoencoder that serves <paramref name="request"/>: <see cref="FrameDecoder.Preview"/> only when it is
    /// asked for and loaded (<see cref="InferenceOptions.PreviewDecoderPath"/>).</summary>
    internal static FrameDecoder DecoderFor(ISanaSprintComponents components, GenerationRequest request) =>
        request.Decoder == FrameDecoder.Preview && components is PreviewAutoencoderComponents ? FrameDecoder.Preview : FrameDecoder.Full;

    /// <summary>Latents / scaling_factor → images in ≈[−1, 1] with the chosen autoencoder.</summary>
    private static void DecodeLatents(ISanaSprintComponents components, FrameDecoder decoder, float[] latents, int batch, int height, int width,
        Memory<float> destination)
    {
        if (decoder == FrameDecoder.Preview) ((PreviewAutoencoderComponents)components).Preview.Decode(latents, batch, height, width, destination);
        else components.Decode(latents, batch, height, width, destination);
    }

    /// <summary>Images in [−1, 1] → raw latents (before scaling_factor) with the chosen autoencoder.</summary>
    private static float[] EncodeImages(ISanaSprintComponents components, FrameDecoder encoder, float[] images, int batch, int height, int width) =>
        encoder == FrameDecoder.Preview
            ? ((PreviewAutoencoderComponents)components).Preview.EncodeImages(images, batch, height, width)
            : components.EncodeImages(images, batch, height, width);
}
