namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// The one seam between the web app (and CLI, benchmarks) and the model: turns a batch of
/// (prompt, sketch, settings) requests into images.
/// </summary>
/// <remarks>
/// Implementations are thread-safe. Requests in one call that share resolution and step count run as
/// one batched call per model component. Cancellation is honoured between stages.
/// </remarks>
public interface IImageGenerator : IModelInfo
{
    /// <summary>Generates one image per request, in request order.</summary>
    /// <param name="requests">The requests; at least one.</param>
    /// <param name="cancellationToken">Stops the run between stages.</param>
    /// <returns>One result per request, in the same order.</returns>
    /// <exception cref="ArgumentException">A request is invalid (the message names the argument).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="GeneratorUnavailableException">The model could not be loaded.</exception>
    Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default);
}
