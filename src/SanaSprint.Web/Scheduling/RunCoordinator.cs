using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Turns queued rooms into model runs, one run at a time: takes a batch from the <see cref="DirtyQueue"/> (live frames
/// first, rooms with the head's step count, up to <see cref="SchedulerOptions.BatchSize"/>; else due refinements),
/// rasterises, runs the model, and hands each room's result to <see cref="FrameDelivery"/>.
/// </summary>
/// <remarks>
/// <para>A room takes part in a run while at most one of its earlier frames is still being sent, so at most two of its
/// frames are in flight (one being sent, one in the run) and nothing piles up behind a slow client.</para>
/// <para>Pre-emption (<see cref="SchedulerOptions.Preemption"/>): a run whose rooms all have a newer revision, while no
/// other room waits, is cancelled if its first denoising step has not ended yet, so the newest revisions start at once
/// instead of after the stale run; the pipeline stops at its next stage boundary. Past the end of the first step a run
/// always completes (its frame is nearly done, and a room drawing continuously would otherwise see nothing), and a room's
/// run right after a pre-empted one is never pre-empted, so a room that never stops changing still gets frames.
/// Pre-emption never delays another room.</para>
/// <para>A failed batch is retried room by room, so one bad room cannot fail the others; a room whose run fails is told
/// so, after its earlier frames.</para>
/// </remarks>
/// <param name="options">Resolution, batch size, refinement steps, pre-emption.</param>
/// <param name="queue">Which rooms need a frame.</param>
/// <param name="rooms">What to render for a room.</param>
/// <param name="generator">The model.</param>
/// <param name="rasterizer">Strokes → sketch image.</param>
/// <param name="delivery">Sends the frames, each room's in order.</param>
/// <param name="time">The clock timings are measured on.</param>
/// <param name="logger">Logger.</param>
public sealed partial class RunCoordinator(
    IOptions<SchedulerOptions> options,
    DirtyQueue queue,
    IRenderSource rooms,
    IImageGenerator generator,
    SketchRasterizer rasterizer,
    FrameDelivery delivery,
    TimeProvider time,
    ILogger<RunCoordinator> logger)
{
    /// <summary>A room's frames being sent, at most, when it takes part in a new run.</summary>
    private const int MaxPendingDeliveries = 1;

    /// <summary>The last stage a run may finish and still be pre-empted: the first denoising step.</summary>
    private static readonly int PreemptionPoint = StageRank(GenerationStage.Step, 0);

    private readonly SchedulerOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _preempted = new(StringComparer.Ordinal);            // last run pre-empted
    private readonly Dictionary<string, string> _toldUnavailable = new(StringComparer.Ordinal); // reason each room was told
    private readonly (long Start, long End)[] _busy = new (long, long)[64];                  // the last model runs, a ring
    private int _busyNext;
    private InFlightRun? _inFlight;
    private long _modelRuns, _revisionsSkipped, _runsPreempted;

    /// <summary>Model runs since start.</summary>
    public long ModelRuns => Interlocked.Read(ref _modelRuns);

    /// <summary>Revisions never rendered since start because a newer one of their room was rendered instead.</summary>
    public long RevisionsSkipped => Interlocked.Read(ref _revisionsSkipped);

    /// <summary>Model runs cancelled since start because newer revisions of all their rooms arrived (pre-emption).</summary>
    public long RunsPreempted => Interlocked.Read(ref _runsPreempted);

    /// <summary>Called after a room was queued: cancels the run in flight if pre-emption applies now.</summary>
    public void RoomChanged()
    {
        CancellationTokenSource? cancel = null;
        lock (_gate)
        {
            var run = _inFlight;
            if (run is not null && !run.PastPoint && !run.Preempted && Preemptible(run))
            {
                run.Preempted = true;
                cancel = run.Cancellation;
            }
        }
        // Outside the lock: cancelling may run the awaiting code inline.
        if (cancel is not null) Cancel(cancel);
    }

    /// <summary>Only when it delays no one: every room of the run changed since it started, and no other room waits.</summary>
    private bool Preemptible(InFlightRun run)
    {
        if (!_options.Preemption || queue.Count != run.RoomIds.Count) return false;
        foreach (var id in run.RoomIds)
        {
            if (!queue.IsDirty(id) || _preempted.Contains(id)) return false;
        }
        return true;
    }

    /// <summary>Tells each queued room once per reason that frames are unavailable.</summary>
    /// <param name="reason">Why the model is unavailable.</param>
    /// <returns>Whether rooms wait for the model.</returns>
    public async Task<bool> TellUnavailableAsync(string reason)
    {
        var waiting = queue.Queued();
        List<string> tell;
        lock (_gate)
        {
            tell = [.. waiting.Where(id => !_toldUnavailable.TryGetValue(id, out var told) || told != reason)];
            foreach (var id in tell) _toldUnavailable[id] = reason;
        }
        foreach (var id in tell)
        {
            var revision = (await rooms.GetRenderStateAsync(id))?.Revision ?? 0;
            await delivery.FailAsync(id, new FrameFailedMessage(revision, $"Frames unavailable: {reason}", true));
        }
        return waiting.Count > 0;
    }

    /// <summary>Takes the next batch: live frames first (queue order, same steps as the head), else due refinements.</summary>
    /// <returns>The jobs (none when there is nothing to do now) and how long until there may be.</returns>
    public async Task<(IReadOnlyList<RenderJob> Batch, TimeSpan Wait)> TakeBatchAsync()
    {
        var batch = new List<RenderJob>();
        var putBack = new List<string>();
        int? steps = null;
        foreach (var id in queue.TakeAll())
        {
            var state = await rooms.GetRenderStateAsync(id);
            if (state is null) continue; // the room is gone
            if (state.Revision <= queue.LastRendered(id)) continue; // nothing new since the last frame
            if (!Busy(id) && batch.Count < _options.BatchSize && (steps is null || steps == state.Settings.Steps))
            {
                steps = state.Settings.Steps;
                batch.Add(NewJob(state, state.Settings.Steps, false));
            }
            else putBack.Add(id);
        }
        // Rooms not taken keep their place ahead of rooms that changed meanwhile.
        queue.PutBack(putBack);
        if (batch.Count > 0) return (batch, TimeSpan.Zero);

        // No live work: refinements whose room has been quiet long enough.
        var (due, nextDue) = queue.TakeDueRefinements(_options.BatchSize, id => delivery.Pending(id) > 0);
        foreach (var id in due)
        {
            if (await rooms.GetRenderStateAsync(id) is { } state) batch.Add(NewJob(state, Math.Max(_options.RefineSteps, state.Settings.Steps), true));
        }
        if (batch.Count > 0) return (batch, TimeSpan.Zero);
        // Rooms waiting only for their deliveries are woken by their end; rooms that changed meanwhile go now.
        return (batch, queue.Queued().Any(id => !Busy(id)) ? TimeSpan.Zero : nextDue);
    }

    private bool Busy(string roomId) => delivery.Pending(roomId) > MaxPendingDeliveries;

    private RenderJob NewJob(RoomRenderState state, int steps, bool isRefinement) =>
        new(state, steps, isRefinement, time.GetTimestamp() - (long)(state.RevisionAge.TotalSeconds * time.TimestampFrequency));

    /// <summary>Renders one batch: rasterise, one model run, then hand the frames to delivery.</summary>
    /// <param name="batch">The rooms' jobs.</param>
    /// <param name="info">The model.</param>
    /// <param name="ct">Stops the app.</param>
    /// <returns>Done when the run has ended and its frames are handed over.</returns>
    public async Task RunAsync(IReadOnlyList<RenderJob> batch, GeneratorInfo info, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(info);

        // 1. Rasterise the rooms' sketches (in parallel) and build their requests.
        var modes = batch.Select(job => PickMode(job.State.Settings.Mode, info.SupportedModes)).ToArray();
        var sketches = new RgbImage?[batch.Count];
        Parallel.For(0, batch.Count, i =>
        {
            if (modes[i] == GuidanceMode.Text) return;
            var started = time.GetTimestamp();
            var state = batch[i].State;
            sketches[i] = rasterizer.Rasterize(state.Strokes, state.CanvasWidth, state.CanvasHeight, _options.Width, _options.Height, state.RoomId);
            batch[i].RasterMs = time.GetElapsedTime(started).TotalMilliseconds;
        });
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = new InFlightRun([.. batch.Select(j => j.State.RoomId).Distinct(StringComparer.Ordinal)], cancellation);
        Action<GenerationStage, int>? stageEnded = _options.Preemption ? (stage, step) => OnStageEnded(run, stage, step) : null;
        var requests = new List<GenerationRequest>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var (job, mode, sketch) = (batch[i], modes[i], sketches[i]);
            requests.Add(new GenerationRequest
            {
                Prompt = job.State.ComposedPrompt,
                Width = _options.Width,
                Height = _options.Height,
                Steps = job.Steps,
                Seed = job.State.Settings.Seed,
                Mode = mode,
                Sketch = sketch,
                Strength = job.State.Settings.Strength,
                ControlScale = job.State.Settings.ControlScale,
                StageEnded = stageEnded,
                // Live frames take the preview autoencoder when one is configured; the refinement is the full picture.
                Decoder = job.IsRefinement ? FrameDecoder.Full : FrameDecoder.Preview,
            });
        }

        // 2. One model run for the whole batch.
        var modelStarted = time.GetTimestamp();
        lock (_gate)
        {
            foreach (var job in batch)
            {
                _toldUnavailable.Remove(job.State.RoomId);
                // How long the revision waited for the model while it ran other runs.
                job.WaitMs = BusyMsLocked(job.RevisionTimestamp, modelStarted);
            }
            _inFlight = run;
        }
        IReadOnlyList<GenerationResult> results;
        try
        {
            Interlocked.Increment(ref _modelRuns);
            try
            {
                results = await generator.GenerateAsync(requests, cancellation.Token);
            }
            finally
            {
                EndRun(run, modelStarted);
            }
            if (results.Count != requests.Count)
                throw new InvalidOperationException($"The generator returned {results.Count} images for {requests.Count} requests.");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (run.Preempted)
        {
            // Newer revisions of all its rooms arrived early in the run: they are in the queue (at its front, as no other
            // room waits) and render next. No frame, no failure.
            Interlocked.Increment(ref _runsPreempted);
            lock (_gate) _preempted.UnionWith(run.RoomIds);
            return;
        }
        catch (Exception ex) when (batch.Count > 1 && ex is not GeneratorUnavailableException)
        {
            // Find the room that broke the batch: run each alone so the others still get their frames.
            Log.BatchFailedRetryingSingly(logger, batch.Count, ex);
            foreach (var job in batch) await RunAsync([job], info, ct);
            return;
        }
        catch (Exception ex)
        {
            var unavailable = ex is GeneratorUnavailableException;
            foreach (var job in batch)
            {
                Log.FrameFailed(logger, job.State.RoomId, job.State.Revision, ex);
                Rendered(job);
                delivery.EnqueueFailure(job.State.RoomId, new FrameFailedMessage(job.State.Revision,
                    unavailable ? $"Frames unavailable: {ex.Message}" : $"The frame for revision {job.State.Revision} failed: {ex.Message}", unavailable));
            }
            return;
        }
        var modelMs = time.GetElapsedTime(modelStarted).TotalMilliseconds;

        // 3. Encoding and sending happen in delivery, so the next model run starts now.
        for (var i = 0; i < batch.Count; i++)
        {
            var job = batch[i];
            var lastRendered = queue.LastRendered(job.State.RoomId);
            if (!job.IsRefinement && lastRendered > 0)
                Interlocked.Add(ref _revisionsSkipped, Math.Max(0, job.State.Revision - lastRendered - 1));
            Rendered(job, results[i].Decoder);
            delivery.Enqueue(new RenderedFrame(job.State, job.Steps, job.IsRefinement, results[i], info.ModelName,
                job.RevisionTimestamp, modelStarted, modelMs, job.RasterMs, job.WaitMs, batch.Count));
        }
    }

    /// <summary>Marks a job's revision rendered. A live frame earns a refinement when the refinement has more steps, or
    /// when the frame was decoded by the preview autoencoder: the frame a room rests on (and that downloads and kept
    /// results take) is always a full DC-AE decode.</summary>
    private void Rendered(RenderJob job, FrameDecoder decoder = FrameDecoder.Full)
    {
        lock (_gate) _preempted.Remove(job.State.RoomId);
        queue.Rendered(job.State.RoomId, job.State.Revision,
            !job.IsRefinement && (_options.RefineSteps > job.Steps || decoder == FrameDecoder.Preview));
    }

    /// <summary>Called by the pipeline as each stage of a run ends, before it checks for cancellation again.</summary>
    private void OnStageEnded(InFlightRun run, GenerationStage stage, int step)
    {
        bool cancel;
        lock (_gate)
        {
            // A pre-empted run stops at this boundary even if the cancel from RoomChanged is still on its way; once a
            // run has finished the stage at the point it is never pre-empted.
            cancel = run.Preempted;
            if (!cancel && StageRank(stage, step) >= PreemptionPoint) run.PastPoint = true;
        }
        if (cancel) Cancel(run.Cancellation);
    }

    private static void Cancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended meanwhile: nothing to stop.
        }
    }

    /// <summary>Orders the stages of a run: text 0, prepare 1, step i 2 + i, decode after every step.</summary>
    private static int StageRank(GenerationStage stage, int step) => stage switch
    {
        GenerationStage.Text => 0,
        GenerationStage.Prepare => 1,
        GenerationStage.Step => 2 + step,
        _ => int.MaxValue,
    };

    private static GuidanceMode PickMode(GuidanceMode wanted, IReadOnlyList<GuidanceMode> supported)
    {
        if (supported.Contains(wanted)) return wanted;
        if (supported.Contains(GuidanceMode.ControlNet)) return GuidanceMode.ControlNet;
        return supported.Contains(GuidanceMode.Img2Img) ? GuidanceMode.Img2Img : GuidanceMode.Text;
    }

    /// <summary>The run has ended (done, failed or cancelled): it is no longer in flight and its time counts as busy.</summary>
    private void EndRun(InFlightRun run, long started)
    {
        var ended = time.GetTimestamp();
        lock (_gate)
        {
            if (ReferenceEquals(_inFlight, run)) _inFlight = null;
            _busy[_busyNext] = (started, ended);
            _busyNext = (_busyNext + 1) % _busy.Length;
        }
    }

    /// <summary>Milliseconds between <paramref name="from"/> and <paramref name="to"/> during which a model run was in
    /// flight (runs never overlap, so their spans add up).</summary>
    private double BusyMsLocked(long from, long to)
    {
        long ticks = 0;
        foreach (var (start, end) in _busy)
        {
            if (end <= start) continue; // an unused slot
            var overlap = Math.Min(end, to) - Math.Max(start, from);
            if (overlap > 0) ticks += overlap;
        }
        return ticks * 1000.0 / time.TimestampFrequency;
    }

    /// <summary>The model run in flight: its rooms, how to cancel it, and how far it got.</summary>
    private sealed class InFlightRun(IReadOnlyList<string> roomIds, CancellationTokenSource cancellation)
    {
        public IReadOnlyList<string> RoomIds { get; } = roomIds;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public bool PastPoint;  // under the coordinator lock
        public bool Preempted;  // under the coordinator lock
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "A batch of {BatchSize} rooms failed; retrying each room alone", EventName = "FrameBatchFailed")]
        public static partial void BatchFailedRetryingSingly(ILogger logger, int batchSize, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "The frame of room '{RoomId}' at revision {Revision} failed", EventName = "FrameFailed")]
        public static partial void FrameFailed(ILogger logger, string roomId, long revision, Exception exception);
    }
}

/// <summary>One room's part in a model run.</summary>
/// <param name="state">What to render.</param>
/// <param name="steps">sCM steps.</param>
/// <param name="isRefinement">True for the refinement frame after the room went quiet.</param>
/// <param name="revisionTimestamp">The clock's timestamp of the revision, from its age when the state was read.</param>
public sealed class RenderJob(RoomRenderState state, int steps, bool isRefinement, long revisionTimestamp)
{
    /// <summary>What to render.</summary>
    public RoomRenderState State { get; } = state;

    /// <summary>sCM steps.</summary>
    public int Steps { get; } = steps;

    /// <summary>True for the refinement frame after the room went quiet.</summary>
    public bool IsRefinement { get; } = isRefinement;

    /// <summary>The clock's timestamp of the revision.</summary>
    public long RevisionTimestamp { get; } = revisionTimestamp;

    /// <summary>Rasterising its sketch, in milliseconds.</summary>
    public double RasterMs { get; set; }

    /// <summary>How long the revision waited for the model while it ran other runs, in milliseconds.</summary>
    public double WaitMs { get; set; }
}
