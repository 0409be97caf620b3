using Microsoft.Extensions.Logging;

namespace SanaSprint.Inference.Pipeline;

/// <summary>A loaded model and whether it is the embedded demo.</summary>
/// <param name="Components">The resident components.</param>
/// <param name="IsDemo">True for the generated demo checkpoint.</param>
public sealed record LoadedModel(ISanaSprintComponents Components, bool IsDemo);

/// <summary>
/// Resolves the configured checkpoint (or generates the demo checkpoint), chooses the execution provider and loads
/// the components. The demo checkpoint goes through exactly the same loading code as a real one.
/// </summary>
public static class SanaSprintLoader
{
    /// <summary>Loads the model named by <paramref name="options"/>.</summary>
    /// <param name="options">Checkpoint paths and runtime settings.</param>
    /// <param name="loggerFactory">Logger factory.</param>
    /// <returns>The loaded model.</returns>
    /// <exception cref="GeneratorUnavailableException">The checkpoint is missing, incomplete or corrupt (the message says which file).</exception>
    public static LoadedModel Load(InferenceOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        throw new GeneratorUnavailableException("The SANA-Sprint model components are not integrated yet (graph builders pending).");
    }
}
