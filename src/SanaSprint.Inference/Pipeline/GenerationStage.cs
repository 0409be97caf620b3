namespace SanaSprint.Inference.Pipeline;

/// <summary>The stages of one model run, in order, as reported to <see cref="GenerationRequest.StageEnded"/>.</summary>
public enum GenerationStage
{
    /// <summary>Prompt encoding (a cache hit included).</summary>
    Text,
    /// <summary>Initial latents, with sketch preprocessing and DC-AE encode in img2img and ControlNet modes.</summary>
    Prepare,
    /// <summary>One sCM step (transformer, ControlNet, scheduler math).</summary>
    Step,
    /// <summary>DC-AE decode and postprocessing: the image is ready.</summary>
    Decode,
}
