using System.Diagnostics;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Tests.Shared;

/// <summary>
/// Stands in for the model with a fixed delay and grey images (only with --model-double-ms): like the pipeline it goes
/// through stages (prepare 20 %, steps 30 %, decode 50 % of the delay), reports each and checks for cancellation
/// between them.
/// </summary>
public sealed class DelayGenerator(TimeSpan delay) : IImageGenerator
{
    public GeneratorInfo Info { get; } = new() { ModelName = "model double", SupportedModes = [GuidanceMode.Text, GuidanceMode.Img2Img, GuidanceMode.ControlNet] };

    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var steps = requests[0].Steps;
        await Stage(delay * 0.2, GenerationStage.Prepare, 0);
        for (var i = 0; i < steps; i++) await Stage(delay * 0.3 / steps, GenerationStage.Step, i);
        await Stage(delay * 0.5, GenerationStage.Decode, 0);
        var total = Stopwatch.GetElapsedTime(started);
        return [.. requests.Select(r => new GenerationResult(new RgbImage(r.Width, r.Height, new byte[r.Width * r.Height * 3]), new StageTimings { Total = total }))];

        async Task Stage(TimeSpan length, GenerationStage stage, int step)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Delay(length, CancellationToken.None);
            foreach (var r in requests) r.StageEnded?.Invoke(stage, step);
        }
    }
}
