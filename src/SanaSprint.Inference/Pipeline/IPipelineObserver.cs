namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// Watches the pipeline's recipe from outside (benchmarks, telemetry): told when a batch starts and when each of its
/// stages ends, as diffusers' <c>callback_on_step_end</c> is, so that timing stays out of the recipe itself.
/// </summary>
/// <remarks>
/// Called synchronously on the generating thread, in stage order (<see cref="GenerationStage"/>); must be quick. An
/// observer that measures the time outside ONNX Runtime reads <see cref="ISanaSprintComponents.RuntimeTime"/> at each call.
/// </remarks>
public interface IPipelineObserver
{
    /// <summary>A batch of requests that share resolution and step count starts (before its prompts are encoded).</summary>
    /// <param name="batchSize">Requests in the batch.</param>
    void BatchStarted(int batchSize);

    /// <summary>A stage of the current batch ended.</summary>
    /// <param name="stage">The stage.</param>
    /// <param name="step">For <see cref="GenerationStage.Step"/>, the step's index; else 0.</param>
    void StageEnded(GenerationStage stage, int step);
}
