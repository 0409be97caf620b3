namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// One kind of batch the pipeline serves: every request of the batch has this mode, step count, frame size and
/// autoencoder, and there are <see cref="Batch"/> of them. Each runs the components at one set of input shapes.
/// </summary>
/// <param name="Mode">Guidance mode.</param>
/// <param name="Batch">Requests in the batch.</param>
/// <param name="Steps">sCM steps.</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Decoder">The autoencoder asked for (<see cref="FrameDecoder.Preview"/> runs the DC-AE when no preview one is loaded).</param>
public readonly record struct FrameSignature(GuidanceMode Mode, int Batch, int Steps, int Width, int Height, FrameDecoder Decoder);
