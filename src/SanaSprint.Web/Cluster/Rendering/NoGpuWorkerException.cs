namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>A renderer could not be placed: no GPU silo is alive in the cluster. Rooms tell their members "no GPU worker is up".
/// Serializable, so a caller on another silo or a client gets this type.</summary>
[GenerateSerializer, Alias("SanaSprint.NoGpuWorkerException")]
public sealed class NoGpuWorkerException : Exception
{
    /// <summary>The message rooms show.</summary>
    public const string DefaultMessage = "No GPU worker is up.";

    /// <summary>Creates the exception.</summary>
    public NoGpuWorkerException() : base(DefaultMessage) { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public NoGpuWorkerException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public NoGpuWorkerException(string message, Exception innerException) : base(message, innerException) { }
}
