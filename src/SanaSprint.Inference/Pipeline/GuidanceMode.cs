namespace SanaSprint.Inference.Pipeline;

/// <summary>How the sketch guides the frame.</summary>
public enum GuidanceMode
{
    /// <summary>Prompt only; the sketch is ignored.</summary>
    Text,
    /// <summary>Sketch → scribble map → DC-AE encoder → Sana ControlNet residuals every step. Needs a ControlNet checkpoint.</summary>
    ControlNet,
    /// <summary>Sketch → DC-AE encoder → mixed with noise at a start angle from <see cref="GenerationRequest.Strength"/>. Needs only the Sprint weights.</summary>
    Img2Img,
}
