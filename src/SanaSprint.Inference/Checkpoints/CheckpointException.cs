namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// A checkpoint (safetensors file, shard index, diffusers folder or config) is missing, malformed or does not
/// fit the model that reads it. The message always names the file and, where one is involved, the tensor.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file at fault (as given, not normalised).</param>
    /// <param name="tensorName">The tensor at fault, if any.</param>
    /// <param name="message">What is wrong, as one sentence.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public CheckpointException(string filePath, string? tensorName, string message, Exception? inner = null)
        : base(Format(filePath, tensorName, message), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The tensor at fault, or <c>null</c>.</summary>
    public string? TensorName { get; }

    private static string Format(string file, string? tensor, string message) =>
        tensor is null ? $"{file}: {message}" : $"{file}: tensor '{tensor}' {message}";
}
