namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// The host work of one batched call outside ONNX Runtime, by kind: what the bench's "outside ONNX Runtime" share is
/// made of. Each figure is wall time minus the ONNX Runtime time that accrued meanwhile (so concurrent callers on the
/// same components blur it; the bench runs one caller).
/// </summary>
public sealed record HostTimings
{
    /// <summary>Prompt-cache lookup and stacking the batch's embeddings (a text-encoder run is not host work).</summary>
    public TimeSpan Prompt { get; init; }

    /// <summary>Gaussian noise generation: the initial latent and the noise each step re-injects.</summary>
    public TimeSpan Noise { get; init; }

    /// <summary>sCM math: latent init, input scaling, flow → TrigFlow conversion, the step, the decoder input.</summary>
    public TimeSpan Scheduler { get; init; }

    /// <summary>Sketch preprocessing for img2img and ControlNet (outside the DC-AE encoder run).</summary>
    public TimeSpan Preprocess { get; init; }

    /// <summary>Feeding ONNX Runtime: wrapping inputs, output buffers and copies around each component run.</summary>
    public TimeSpan RuntimeCalls { get; init; }

    /// <summary>Decoded batch → RGB bytes.</summary>
    public TimeSpan Postprocess { get; init; }

    /// <summary>The sum of the kinds above.</summary>
    public TimeSpan Sum => Prompt + Noise + Scheduler + Preprocess + RuntimeCalls + Postprocess;
}
