namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// The frames a host serves, which the pipeline warms up at load (every <see cref="FrameSignature"/> of
/// <see cref="Signatures"/> runs once, through the serving path) so that no served frame is the first of its shapes:
/// ONNX Runtime plans its memory and picks its kernels on a shape's first run, and a CUDA graph is captured per shape.
/// </summary>
/// <remarks>
/// Refinement frames ask for the DC-AE; live frames for <paramref name="LiveDecoder"/> (the web app's scheduler asks for the
/// preview autoencoder). A step count changes how often the graphs run, not their shapes, so frames at another live step count run warm graphs.
/// On the CPU provider the warm-up keeps batches of one (nothing is captured per shape there).
/// </remarks>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="MaxBatch">Most requests in one model run (every batch size from 1 up to it is served).</param>
/// <param name="LiveSteps">sCM steps of live frames.</param>
/// <param name="RefineSteps">sCM steps of refinement frames; no refinement frames when not more than <paramref name="LiveSteps"/>.</param>
/// <param name="LiveDecoder">The autoencoder live frames ask for.</param>
public sealed record ServedFrames(int Width, int Height, int MaxBatch, int LiveSteps, int RefineSteps, FrameDecoder LiveDecoder = FrameDecoder.Preview)
{
    /// <summary>
    /// What a host that does not describe its frames is assumed to serve: single <paramref name="size"/>² frames of two
    /// steps with the DC-AE, in every supported mode (the CLI and hosts other than the web app).
    /// </summary>
    /// <param name="size">Frame size in pixels.</param>
    /// <returns>The served frames.</returns>
    public static ServedFrames Square(int size) => new(size, size, 1, 2, 0, FrameDecoder.Full);

    /// <summary>
    /// Every batch kind served: each mode in <paramref name="modes"/> × each batch size 1…<see cref="MaxBatch"/> × the live
    /// frame (<see cref="LiveSteps"/>, <see cref="LiveDecoder"/>) and, when <see cref="RefineSteps"/> is more, the refinement
    /// frame (DC-AE); in that order, modes first.
    /// </summary>
    /// <param name="modes">The modes the loaded model supports.</param>
    /// <returns>The signatures, without repeats.</returns>
    public IReadOnlyList<FrameSignature> Signatures(IReadOnlyList<GuidanceMode> modes)
    {
        ArgumentNullException.ThrowIfNull(modes);
        var frames = new List<(int Steps, FrameDecoder Decoder)> { (LiveSteps, LiveDecoder) };
        if (RefineSteps > LiveSteps) frames.Add((RefineSteps, FrameDecoder.Full));
        var signatures = new List<FrameSignature>();
        foreach (var mode in modes.Distinct())
            for (int batch = 1; batch <= MaxBatch; batch++)
                foreach (var (steps, decoder) in frames)
                    signatures.Add(new FrameSignature(mode, batch, steps, Width, Height, decoder));
        return signatures;
    }
}
