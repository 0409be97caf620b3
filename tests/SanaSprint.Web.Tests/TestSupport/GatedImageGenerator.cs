using System.Collections.Concurrent;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// Test double for <see cref="IImageGenerator"/> that goes through the pipeline's stages (text, prepare, each step, decode)
/// like <c>SanaSprintPipeline</c>: it checks the token before each stage and reports each stage's end to
/// <see cref="GenerationRequest.StageEnded"/>. While <see cref="HoldIn"/> names a stage, every run stops inside that
/// stage until <see cref="Release"/>, so a test can change a room at an exact point of a run.
/// </summary>
public sealed class GatedImageGenerator : IImageGenerator
{
    private readonly ConcurrentQueue<GatedRun> _runs = new();
    private readonly SemaphoreSlim _held = new(0);
    private readonly SemaphoreSlim _released = new(0);

    /// <inheritdoc />
    public GeneratorInfo Info { get; } = new()
    {
        ModelName = "gated",
        IsDemo = true,
        DemoNotice = "Test double",
        SupportedModes = [GuidanceMode.Text, GuidanceMode.Img2Img],
    };

    /// <summary>The stage (and step, for <see cref="GenerationStage.Step"/>) inside which every run waits for <see cref="Release"/>; null: none.</summary>
    public (GenerationStage Stage, int Step)? HoldIn { get; set; }

    /// <summary>Every run so far, in order.</summary>
    public IReadOnlyList<GatedRun> Runs => [.. _runs];

    /// <summary>Waits until a run has stopped at <see cref="HoldIn"/>.</summary>
    /// <returns>That run.</returns>
    public async Task<GatedRun> WaitUntilHeldAsync()
    {
        if (!await _held.WaitAsync(TimeSpan.FromSeconds(10)))
            throw new TimeoutException($"No run stopped at {HoldIn}; runs so far: {string.Join(", ", Runs.Select(r => r.Outcome))}.");
        return Runs.Last(r => r.Outcome == GatedRunOutcome.Running);
    }

    /// <summary>Lets the run held at <see cref="HoldIn"/> go on.</summary>
    public void Release() => _released.Release();

    /// <inheritdoc />
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        var run = new GatedRun([.. requests]);
        _runs.Enqueue(run);
        try
        {
            await Stage(GenerationStage.Text, 0);
            await Stage(GenerationStage.Prepare, 0);
            for (var i = 0; i < requests[0].Steps; i++) await Stage(GenerationStage.Step, i);
            await Stage(GenerationStage.Decode, 0);
        }
        catch (OperationCanceledException)
        {
            run.Outcome = GatedRunOutcome.Cancelled;
            throw;
        }
        run.Outcome = GatedRunOutcome.Completed;
        return [.. requests.Select(r => new GenerationResult(new RgbImage(r.Width, r.Height, new byte[r.Width * r.Height * 3]),
            new StageTimings { Steps = [.. Enumerable.Repeat(TimeSpan.FromMilliseconds(1), r.Steps)], Total = TimeSpan.FromMilliseconds(4) }))];

        async Task Stage(GenerationStage stage, int step)
        {
            // Like the pipeline: cancellation is honoured between stages only.
            cancellationToken.ThrowIfCancellationRequested();
            if (HoldIn == (stage, step))
            {
                _held.Release();
                await _released.WaitAsync(CancellationToken.None);
            }
            else
            {
                await Task.Yield();
            }
            foreach (var r in requests) r.StageEnded?.Invoke(stage, step);
        }
    }
}

/// <summary>One call of <see cref="GatedImageGenerator.GenerateAsync"/>.</summary>
/// <param name="Requests">What it was asked for.</param>
public sealed record GatedRun(IReadOnlyList<GenerationRequest> Requests)
{
    /// <summary>How it ended (or that it has not yet).</summary>
    public GatedRunOutcome Outcome { get; set; } = GatedRunOutcome.Running;
}

/// <summary>How a <see cref="GatedRun"/> ended.</summary>
public enum GatedRunOutcome
{
    /// <summary>Still going.</summary>
    Running,
    /// <summary>Returned its images.</summary>
    Completed,
    /// <summary>Stopped by its cancellation token.</summary>
    Cancelled,
}
