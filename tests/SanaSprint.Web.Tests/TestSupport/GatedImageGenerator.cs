using System.Collections.Concurrent;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// Test double for <see cref="IImageGenerator"/> that goes through the pipeline's stages (text, prepare, each step, decode)
/// like <c>SanaSprintPipeline</c>: it checks the token before each stage and reports each stage's end to
/// <see cref="GenerationRequest.StageEnded"/>. While <see cref="HoldIn"/> names a stage, every run stops inside that
/// stage until <see cref="Release"/> (or its own <see cref="GatedRun.Release"/>), so a test can change a room at an exact
/// point of a run. Runs may overlap: each records which other runs were in flight, and in which stage, when it started.
/// </summary>
public sealed class GatedImageGenerator : IImageGenerator
{
    private readonly ConcurrentQueue<GatedRun> _runs = new();
    private readonly SemaphoreSlim _held = new(0);
    private readonly ConcurrentQueue<GatedRun> _heldOrder = new();
    private readonly Lock _gate = new();
    private readonly List<GatedRun> _waiting = [];     // held runs not yet released, oldest first
    private readonly List<GatedRun> _inFlight = [];
    private int _banked;                                // releases given while no run was held
    private int _maxConcurrent;

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

    /// <summary>Every run so far, in the order they started.</summary>
    public IReadOnlyList<GatedRun> Runs => [.. _runs];

    /// <summary>The most runs in flight at once so far.</summary>
    public int MaxConcurrentRuns
    {
        get
        {
            lock (_gate) return _maxConcurrent;
        }
    }

    /// <summary>Waits until a run has stopped at <see cref="HoldIn"/> (each held run is returned once, in order).</summary>
    /// <returns>That run.</returns>
    public async Task<GatedRun> WaitUntilHeldAsync()
    {
        if (!await _held.WaitAsync(TimeSpan.FromSeconds(10)))
            throw new TimeoutException($"No run stopped at {HoldIn}; runs so far: {string.Join(", ", Runs.Select(r => r.Outcome))}.");
        return _heldOrder.TryDequeue(out var run) ? run : throw new InvalidOperationException("A held run was not recorded.");
    }

    /// <summary>Lets the oldest held run go on (or, when none is held, the next run that stops).</summary>
    public void Release()
    {
        TaskCompletionSource? go;
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _banked++;
                return;
            }
            go = _waiting[0].Gate;
            _waiting.RemoveAt(0);
        }
        go?.TrySetResult();
    }

    /// <summary>Lets one held run go on.</summary>
    internal void ReleaseRun(GatedRun run)
    {
        lock (_gate)
        {
            if (!_waiting.Remove(run)) throw new InvalidOperationException("That run is not held.");
        }
        run.Gate?.TrySetResult();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        var run = new GatedRun([.. requests]) { Generator = this };
        lock (_gate)
        {
            run.StartedWhile = [.. _inFlight.Select(r => (r, r.Stage))];
            _inFlight.Add(run);
            _maxConcurrent = Math.Max(_maxConcurrent, _inFlight.Count);
            _runs.Enqueue(run);
        }
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
        finally
        {
            lock (_gate) _inFlight.Remove(run);
        }
        run.Outcome = GatedRunOutcome.Completed;
        return [.. requests.Select(r => new GenerationResult(new RgbImage(r.Width, r.Height, new byte[r.Width * r.Height * 3]),
            new StageTimings { Steps = [.. Enumerable.Repeat(TimeSpan.FromMilliseconds(1), r.Steps)], Total = TimeSpan.FromMilliseconds(4) }))];

        async Task Stage(GenerationStage stage, int step)
        {
            // Like the pipeline: cancellation is honoured between stages only.
            cancellationToken.ThrowIfCancellationRequested();
            lock (_gate) run.Stage = stage;
            if (HoldIn == (stage, step))
            {
                TaskCompletionSource? gate = null;
                lock (_gate)
                {
                    if (_banked > 0) _banked--;
                    else
                    {
                        gate = run.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        _waiting.Add(run);
                    }
                }
                _heldOrder.Enqueue(run);
                _held.Release();
                if (gate is not null) await gate.Task;
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

    /// <summary>The stage it is in (or last was in).</summary>
    public GenerationStage Stage { get; internal set; }

    /// <summary>The other runs in flight when it started, with the stage each was in.</summary>
    public IReadOnlyList<(GatedRun Run, GenerationStage Stage)> StartedWhile { get; internal set; } = [];

    internal GatedImageGenerator? Generator { get; init; }
    internal TaskCompletionSource? Gate { get; set; }

    /// <summary>Lets this run go on if it is held.</summary>
    public void Release() => Generator!.ReleaseRun(this);

    // Identity, not value, equality: two runs with the same requests are still two runs.
    /// <inheritdoc />
    public bool Equals(GatedRun? other) => ReferenceEquals(this, other);

    /// <inheritdoc />
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
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
