namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// The model components of one loaded checkpoint as the pipeline calls them (ONNX sessions in production, see
/// <c>OnnxSanaSprintComponents</c>). Implementations are thread-safe.
/// </summary>
public interface ISanaSprintComponents : IDisposable
{
    /// <summary>Facts about the checkpoint.</summary>
    SanaSprintModelInfo Info { get; }

    /// <summary>Name of the execution provider running the graphs ("CPU" or "CUDA").</summary>
    string Provider { get; }

    /// <summary>Encodes prompt texts into embeddings (<see cref="SanaSprintModelInfo.HasTextEncoder"/> must be true).</summary>
    /// <param name="prompts">Prompt texts.</param>
    /// <returns>One embedding per prompt.</returns>
    IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts);

    /// <summary>
    /// Tokens the prompt takes in the text encoder's tokenizer after its preparation, without the instruction and BOS
    /// (see <see cref="IModelInfo.CountPromptTokens"/>); <c>null</c> (the default) without a tokenizer.
    /// </summary>
    /// <param name="prompt">The prompt as typed.</param>
    /// <returns>The count, or <c>null</c>.</returns>
    int? CountPromptTokens(string prompt) => null;

    /// <summary>Runs the transformer: flow velocity v, [B, C, h, w].</summary>
    /// <param name="call">Inputs.</param>
    /// <returns>v.</returns>
    float[] Transformer(TransformerCall call);

    /// <summary>Runs the ControlNet: one residual per ControlNet block, each × the sample's conditioning scale.</summary>
    /// <param name="call">Inputs.</param>
    /// <returns>The residuals, in block order.</returns>
    IReadOnlyList<float[]> ControlNet(ControlNetCall call);

    /// <summary>
    /// One ControlNet-guided step: the ControlNet, then the transformer with its residuals. The default passes the residuals
    /// through the host (<see cref="ControlNet"/>, then <see cref="Transformer"/>); the ONNX components keep them on the device.
    /// </summary>
    /// <param name="call">The step's inputs and the control latent.</param>
    /// <returns>v, [B, C, h, w].</returns>
    float[] ControlledTransformer(ControlNetCall call) => Transformer(call.Step with { ControlBlocks = ControlNet(call) });

    /// <summary>DC-AE encoder: images [B, 3, H, W] in [−1, 1] → raw latents [B, C, H/f, W/f] (before scaling_factor).</summary>
    /// <param name="images">Images.</param>
    /// <param name="batch">B.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <returns>Latents.</returns>
    float[] EncodeImages(float[] images, int batch, int height, int width);

    /// <summary>DC-AE decoder: latents / scaling_factor [B, C, h, w] → images [B, 3, h·f, w·f] in ≈[−1, 1].</summary>
    /// <param name="latents">Decoder input.</param>
    /// <param name="batch">B.</param>
    /// <param name="height">h.</param>
    /// <param name="width">w.</param>
    /// <param name="destination">Receives the images: exactly B·3·h·f·w·f values (may be a pooled buffer).</param>
    void Decode(float[] latents, int batch, int height, int width, Memory<float> destination);

    /// <summary>
    /// DC-AE decoder to the frame's bytes: latents / scaling_factor [B, C, h, w] → uint8 RGB [B, h·f, w·f, 3]
    /// (<c>ImageProcessor.Postprocess</c>). The default decodes to floats and quantises on the host; the ONNX components
    /// quantise in the decoder graph, so only the bytes leave the device.
    /// </summary>
    /// <param name="latents">Decoder input.</param>
    /// <param name="batch">B.</param>
    /// <param name="height">h.</param>
    /// <param name="width">w.</param>
    /// <param name="destination">Receives exactly B·h·f·w·f·3 bytes.</param>
    void DecodeToImage(float[] latents, int batch, int height, int width, Memory<byte> destination) =>
        DecodeOnHost(this, latents, batch, height, width, destination);

    /// <summary>Decodes to floats with <see cref="Decode"/> and quantises each image on the host.</summary>
    /// <param name="components">The components.</param>
    /// <param name="latents">Decoder input.</param>
    /// <param name="batch">B.</param>
    /// <param name="height">h.</param>
    /// <param name="width">w.</param>
    /// <param name="destination">Receives exactly B·h·f·w·f·3 bytes.</param>
    static void DecodeOnHost(ISanaSprintComponents components, float[] latents, int batch, int height, int width, Memory<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(components);
        int f = components.Info.VaeScaleFactor, w = width * f, h = height * f, plane = 3 * w * h;
        var pooled = System.Buffers.ArrayPool<float>.Shared.Rent(batch * plane);
        try
        {
            components.Decode(latents, batch, height, width, pooled.AsMemory(0, batch * plane));
            for (int b = 0; b < batch; b++)
                Imaging.ImageProcessor.Postprocess(pooled.AsSpan(b * plane, plane), w, h, destination.Span.Slice(b * plane, plane));
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(pooled);
        }
    }

    /// <summary>Total time the components spent inside ONNX Runtime (for overhead accounting).</summary>
    TimeSpan RuntimeTime { get; }
}
