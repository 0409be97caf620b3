namespace SanaSprint.Inference.Verification;

/// <summary>One parameter of an <c>AutoencoderDC</c> checkpoint (see <see cref="ParameterShapes.ForAutoencoderDC"/>).</summary>
/// <param name="Key">The safetensors key.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="IsNormWeight">True for an RMSNorm weight (initialised around 1, not 0).</param>
public sealed record AutoencoderDCParameter(string Key, long[] Shape, bool IsNormWeight = false);
