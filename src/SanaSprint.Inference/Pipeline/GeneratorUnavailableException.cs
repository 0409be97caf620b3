namespace SanaSprint.Inference.Pipeline;

/// <summary>Thrown when the generator has no usable model (the reason says why).</summary>
public sealed class GeneratorUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
