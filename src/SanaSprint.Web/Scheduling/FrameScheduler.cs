using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Renders each room's newest revision and pushes the frame to the room's group. Latest wins: a change marks the room
/// dirty; one model run at a time; when a run ends the newest revision is rendered next and the ones in between are
/// skipped. A room's next run may start while its previous frame is still being encoded and sent (its frames still
/// arrive in order), but not while two are: at most two frames per room in flight. Dirty rooms with the same step count
/// are batched into one <see cref="IImageGenerator.GenerateAsync"/> call (up to <see cref="SchedulerOptions.BatchSize"/>), first-dirty first,
/// and a rendered room goes to the back of the queue, so no room starves. A room quiet for
/// <see cref="SchedulerOptions.RefineDelay"/> gets one refinement frame at <see cref="SchedulerOptions.RefineSteps"/>.
/// </summary>
/// <remarks>
/// <para>Pre-emption (<see cref="SchedulerOptions.Preemption"/>): when every room of the run in flight has a newer revision
/// and no other room is waiting, a run not yet past the configured stage is cancelled and the newest revisions start at
/// once (the pipeline stops at its next stage boundary). A run past that point always completes and is shown, and after
/// <see cref="SchedulerOptions.MaxConsecutivePreemptions"/> cancelled runs in a row a room's next run is never cancelled,
/// so a room that never stops changing still gets frames. Pre-emption never delays another room.</para>
/// <para>Overlap (<see cref="SchedulerOptions.RunOverlap"/> <c>decode</c>): the next run may start as soon as the run in
/// flight has entered its decode stage, so at most two runs overlap, one of them decoding. A room takes part in a new run
/// only while at most two of its frames are in flight (runs and deliveries together; one without overlap), and never for a
/// revision already in a run. A room's frames still arrive in revision order: a run that ends after a newer frame of its room was rendered
/// shows nothing for that room.</para>
/// <para>A failed run becomes a <c>FrameFailed</c> event for the rooms it concerned (a failed batch is retried room by room,
/// so one bad room cannot fail the others) and the loop keeps serving. While the model is unavailable, dirty rooms are told
/// once ("frames unavailable: reason") and wait; they render when it becomes available.</para>
/// </remarks>
/// <param name="options">Resolution, batch size, refinement, encoding.</param>
/// <param name="rooms">Where rooms' changes come from and their frames go back to.</param>
/// <param name="generator">The model.</param>
/// <param name="hub">Pushes frames to room groups.</param>
/// <param name="feed">Frame events for server-side components.</param>
/// <param name="rasterizer">Strokes → sketch image.</param>
/// <param name="encoder">Image → JPEG/WebP.</param>
/// <param name="logger">Logger.</param>
public sealed partial class FrameScheduler(
    IOptions<SchedulerOptions> options,
    IRenderSource rooms,
    IImageGenerator generator,
    IHubContext<SketchHub, ISketchClient> hub,
    FrameFeed feed,
    SketchRasterizer rasterizer,
    FrameEncoder encoder,
    ILogger<FrameScheduler> logger) : BackgroundService
{
    private readonly SchedulerOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly LinkedList<string> _dirty = new();
    private readonly List<string> _refine = [];
    private readonly Dictionary<string, RoomFrameState> _states = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly HashSet<Task> _deliveries = [];
    private readonly (long Start, long End)[] _busy = new (long, long)[64]; // the last model runs, a ring
    private int _busyNext;
    private readonly List<InFlightRun> _active = []; // the model runs in flight (at most two with overlap)
    private InFlightRun? _inFlight;                   // the newest run, the one pre-emption may cancel
    private Task? _decodingRun;                       // overlap: the previous top-level run, which may still be decoding
    private long _framesSent, _framesFailed, _modelRuns, _revisionsSkipped, _runsPreempted, _staleFramesDropped;

    /// <summary>Counters since start: frames sent, frames failed, model runs, revisions skipped by latest-wins.</summary>
    public (long FramesSent, long FramesFailed, long ModelRuns, long RevisionsSkipped) Counters =>
        (Interlocked.Read(ref _framesSent), Interlocked.Read(ref _framesFailed), Interlocked.Read(ref _modelRuns), Interlocked.Read(ref _revisionsSkipped));

    /// <summary>Model runs cancelled since start because newer revisions of all their rooms arrived (pre-emption).</summary>
    public long RunsPreempted => Interlocked.Read(ref _runsPreempted);

    /// <summary>Frames not shown since start because a newer frame of their room was rendered first (only with run overlap).</summary>
    public long StaleFramesDropped => Interlocked.Read(ref _staleFramesDropped);

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        rooms.RevisionChanged += MarkDirty;
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        rooms.RevisionChanged -= MarkDirty;
        await base.StopAsync(cancellationToken);
    }

    /// <summary>Marks a room as changed: it will get a frame of its newest revision.</summary>
    /// <param name="roomId">The room.</param>
    public void MarkDirty(string roomId)
    {
        CancellationTokenSource? preempt;
        lock (_gate)
        {
            var state = StateLocked(roomId);
            state.ChangedAt = Stopwatch.GetTimestamp();
            if (state.RefinePending)
            {
                state.RefinePending = false;
                _refine.Remove(roomId);
            }
            if (state.Node is null) state.Node = _dirty.AddLast(roomId);
            preempt = PreemptLocked();
        }
        // Outside the lock: cancelling may run the awaiting code inline.
        if (preempt is not null) Cancel(preempt);
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    /// <summary>Decides whether the run in flight is pre-empted now; returns its cancellation source if so.</summary>
    private CancellationTokenSource? PreemptLocked()
    {
        var run = _inFlight;
        if (run is null || run.PointRank < 0 || run.PastPoint || run.Preempted) return null;
        // Only when it delays no one: every room of the run changed since it started, and no other room waits.
        if (_dirty.Count != run.RoomIds.Count) return null;
        foreach (var id in run.RoomIds)
        {
            var state = _states[id];
            if (state.Node is null || state.Preemptions >= _options.MaxConsecutivePreemptions) return null;
        }
        run.Preempted = true;
        return run.Cancellation;
    }

    /// <summary>Called by the pipeline as each stage of a run ends, before it checks for cancellation again.</summary>
    private void OnStageEnded(InFlightRun run, GenerationStage stage, int step)
    {
        bool cancel;
        lock (_gate)
        {
            // A pre-empted run stops at this boundary even if the cancel from MarkDirty is still on its way; once a run
            // has finished the stage at the point it is never pre-empted.
            cancel = run.Preempted;
            if (!cancel && StageRank(stage, step) >= run.PointRank) run.PastPoint = true;
        }
        if (cancel) Cancel(run.Cancellation);
        // Overlap: the last step has ended and the decoder is next, so the next run may start (its continuation runs
        // asynchronously, not on this generating thread).
        else if (run.Decoding is { } decoding && stage == GenerationStage.Step && step == run.LastStep) decoding.TrySetResult();
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

    /// <summary>The rank of the last stage a run may finish and still be pre-empted; -1 when pre-emption is off.</summary>
    private int PreemptionPointRank(int steps) => _options.Preemption switch
    {
        "prepare" => StageRank(GenerationStage.Prepare, 0),
        "first-step" => StageRank(GenerationStage.Step, 0),
        "last-step" => StageRank(GenerationStage.Step, steps - 1),
        _ => -1,
    };

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wait = await StepAsync(stoppingToken);
                if (wait is { } delay) await WaitAsync(delay, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The loop never ends on a failed unit of work.
                Log.StepFailed(logger, ex);
            }
        }

        // Frames already rendered still reach their rooms.
        if (_decodingRun is { } decodingRun)
            await decodingRun.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] pending;
        lock (_gate) pending = [.. _deliveries];
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Does one unit of work; returns how long to wait for the next one (null: there is more to do now).</summary>
    private async Task<TimeSpan?> StepAsync(CancellationToken ct)
    {
        var info = generator.Info;
        if (!info.IsAvailable)
        {
            var reason = info.UnavailableReason ?? "the model is not available";
            List<string> tell;
            bool waiting;
            lock (_gate)
            {
                tell = [.. _dirty.Where(id => _states[id].ToldUnavailable != reason)];
                foreach (var id in tell) _states[id].ToldUnavailable = reason;
                waiting = _dirty.Count > 0;
            }
            foreach (var id in tell)
            {
                var revision = (await rooms.GetRenderStateAsync(id))?.Revision ?? 0;
                await FailAsync(id, new FrameFailedMessage(revision, $"Frames unavailable: {reason}", true));
            }
            return waiting ? _options.AvailabilityPollInterval : Timeout.InfiniteTimeSpan;
        }

        var (batch, wait) = await TakeBatchAsync();
        if (batch.Count == 0) return wait;
        if (!Overlap)
        {
            await RenderAsync(batch, info, ct, null);
            return null;
        }

        // Overlap: the next run starts once this one has entered its decode stage (or has ended).
        var decoding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var render = RenderAsync(batch, info, ct, decoding);
        await Task.WhenAny(render, decoding.Task);
        if (render.IsCompleted)
        {
            // Ended (done, pre-empted or failed) before decoding: the previous run, if still decoding, may overlap the next.
            await render;
            return null;
        }
        // This run decodes now; the one before it must have ended before the next starts: at most two runs in flight.
        var older = _decodingRun;
        _decodingRun = render;
        if (older is not null) await older;
        return null;
    }

    /// <summary>Takes the next batch: live frames first (queue order, same steps as the head), else due refinements.</summary>
    private async Task<(List<Job> Batch, TimeSpan Wait)> TakeBatchAsync()
    {
        List<string> candidates;
        lock (_gate)
        {
            candidates = [.. _dirty];
            foreach (var id in candidates) _states[id].Node = null;
            _dirty.Clear();
        }

        var batch = new List<Job>();
        var putBack = new List<string>();
        var refineIds = new List<string>();
        int? steps = null;
        foreach (var id in candidates)
        {
            var state = await rooms.GetRenderStateAsync(id);
            if (state is null) continue; // the room is gone
            long lastRendered;
            bool delivering;
            lock (_gate)
            {
                var s = _states[id];
                // A revision already in a run (overlap: the run decoding) counts as rendered.
                lastRendered = s.Running > 0 ? Math.Max(s.LastRenderedRevision, s.RunningRevision) : s.LastRenderedRevision;
                delivering = s.Deliveries + s.Running >= MaxFramesInFlightPerRoom;
            }
            if (state.Revision <= lastRendered) continue; // nothing new since the last frame
            // A room waits while its earlier frames are still in a run or being encoded and sent: at most two per room in
            // flight (three with overlap: one decoding, one being sent, the new one).
            if (!delivering && batch.Count < _options.BatchSize && (steps is null || steps == state.Settings.Steps))
            {
                steps = state.Settings.Steps;
                batch.Add(new Job(state, state.Settings.Steps, false));
            }
            else putBack.Add(id);
        }

        lock (_gate)
        {
            // Rooms not taken keep their place ahead of rooms that changed meanwhile.
            for (var i = putBack.Count - 1; i >= 0; i--)
            {
                var state = _states[putBack[i]];
                if (state.Node is not null) _dirty.Remove(state.Node);
                state.Node = _dirty.AddFirst(putBack[i]);
            }
            if (batch.Count > 0) return (batch, TimeSpan.Zero);

            // No live work: refinements whose room has been quiet long enough.
            var now = Stopwatch.GetTimestamp();
            var nextDue = Timeout.InfiniteTimeSpan;
            foreach (var id in _refine.ToList())
            {
                if (_states[id].Deliveries > 0 || _states[id].Running > 0) continue;
                var quiet = Stopwatch.GetElapsedTime(_states[id].ChangedAt, now);
                if (quiet < _options.RefineDelay)
                {
                    var due = _options.RefineDelay - quiet;
                    if (nextDue == Timeout.InfiniteTimeSpan || due < nextDue) nextDue = due;
                    continue;
                }
                if (refineIds.Count >= _options.BatchSize) break;
                _refine.Remove(id);
                _states[id].RefinePending = false;
                refineIds.Add(id);
            }
            // Rooms waiting only for their delivery (or run) are woken by its end; others that changed meanwhile go now.
            if (refineIds.Count == 0) return (batch, _dirty.Any(id => _states[id].Deliveries + _states[id].Running < MaxFramesInFlightPerRoom) ? TimeSpan.Zero : nextDue);
        }

        // Refinement jobs read their state now (outside the scheduler lock).
        foreach (var id in refineIds)
        {
            if (await rooms.GetRenderStateAsync(id) is { } state) batch.Add(new Job(state, _options.RefineSteps, true));
        }
        return (batch, TimeSpan.Zero);
    }

    /// <summary>Renders one batch: rasterise, one model run, then encode and send on the side.</summary>
    /// <param name="batch">The rooms' jobs.</param>
    /// <param name="info">The model.</param>
    /// <param name="ct">Stops the app.</param>
    /// <param name="decoding">Overlap only: completed when the run enters its decode stage; null for no overlap.</param>
    private async Task RenderAsync(List<Job> batch, GeneratorInfo info, CancellationToken ct, TaskCompletionSource? decoding)
    {
        // 1. Rasterise the rooms' sketches (in parallel) and build their requests.
        var modes = batch.Select(job => PickMode(job.State.Settings.Mode, info.SupportedModes)).ToArray();
        var sketches = new RgbImage?[batch.Count];
        Parallel.For(0, batch.Count, i =>
        {
            if (modes[i] == GuidanceMode.Text) return;
            var started = Stopwatch.GetTimestamp();
            var state = batch[i].State;
            sketches[i] = rasterizer.Rasterize(state.Strokes, state.CanvasWidth, state.CanvasHeight, _options.Width, _options.Height, state.RoomId);
            batch[i].RasterMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        });
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = new InFlightRun([.. batch.Select(j => j.State.RoomId).Distinct(StringComparer.Ordinal)], cancellation, PreemptionPointRank(batch[0].Steps))
        {
            Decoding = decoding,
            LastStep = batch[0].Steps - 1,
        };
        Action<GenerationStage, int>? stageEnded = run.PointRank >= 0 || decoding is not null ? (stage, step) => OnStageEnded(run, stage, step) : null;
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
            feed.Publish(new FrameRenderingEvent(job.State.RoomId, job.State.Revision, job.IsRefinement));
            lock (_gate) StateLocked(job.State.RoomId).ToldUnavailable = null;
        }

        // 2. One model run for the whole batch.
        var modelStarted = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            // How long each revision waited for the model while it ran other runs (ended ones, and with overlap the one decoding).
            foreach (var job in batch) job.WaitMs = BusyMsLocked(job.RevisionTimestamp, modelStarted);
            run.Started = modelStarted;
            _active.Add(run);
            // A room-by-room retry that overlaps the loop's newer run leaves that one as the run pre-emption may cancel.
            if (decoding is not null || _inFlight is null) _inFlight = run;
            foreach (var job in batch)
            {
                var state = StateLocked(job.State.RoomId);
                state.Running++;
                state.RunningRevision = Math.Max(state.RunningRevision, job.State.Revision);
            }
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
                EndRun(run, batch, modelStarted);
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
            lock (_gate)
            {
                foreach (var id in run.RoomIds) StateLocked(id).Preemptions++;
            }
            return;
        }
        catch (Exception ex) when (batch.Count > 1 && ex is not GeneratorUnavailableException)
        {
            // Find the room that broke the batch: run each alone so the others still get their frames.
            Log.BatchFailedRetryingSingly(logger, batch.Count, ex);
            foreach (var job in batch) await RenderAsync([job], info, ct, null);
            return;
        }
        catch (Exception ex)
        {
            var unavailable = ex is GeneratorUnavailableException;
            foreach (var job in batch)
            {
                Log.FrameFailed(logger, job.State.RoomId, job.State.Revision, ex);
                var message = new FrameFailedMessage(job.State.Revision,
                    unavailable ? $"Frames unavailable: {ex.Message}" : $"The frame for revision {job.State.Revision} failed: {ex.Message}", unavailable);
                lock (_gate)
                {
                    // With overlap a newer frame of the room may already be out: the stale failure is only logged.
                    if (StateLocked(job.State.RoomId).LastRenderedRevision > job.State.Revision) continue;
                    MarkRendered(job);
                    // After the room's previous frame, which may still be on its way.
                    StartDeliveryLocked([job.State.RoomId], previous => FailAfterAsync(job.State.RoomId, previous[0], message));
                }
            }
            return;
        }
        var modelMs = Stopwatch.GetElapsedTime(modelStarted).TotalMilliseconds;

        // 3. Encode and send on the side, so the next model run starts now; a room's frame is sent after its previous one.
        lock (_gate)
        {
            // With overlap a run may end after a newer run of the same room: its frame would arrive out of order, so it is
            // dropped (never without overlap: runs end in the order they started).
            var kept = Enumerable.Range(0, batch.Count).Where(i => StateLocked(batch[i].State.RoomId).LastRenderedRevision <= batch[i].State.Revision).ToList();
            Interlocked.Add(ref _staleFramesDropped, batch.Count - kept.Count);
            if (kept.Count == 0) return;
            // Without overlap every frame is kept: the batch's own lists go on as they are.
            var all = kept.Count == batch.Count;
            var keptJobs = all ? batch : [.. kept.Select(i => batch[i])];
            var keptRequests = all ? requests : [.. kept.Select(i => requests[i])];
            var keptResults = all ? results : [.. kept.Select(i => results[i])];
            foreach (var job in keptJobs)
            {
                var state = StateLocked(job.State.RoomId);
                if (!job.IsRefinement && state.LastRenderedRevision > 0)
                    Interlocked.Add(ref _revisionsSkipped, Math.Max(0, job.State.Revision - state.LastRenderedRevision - 1));
                MarkRendered(job);
            }
            StartDeliveryLocked([.. keptJobs.Select(j => j.State.RoomId)],
                previous => DeliverAsync(keptJobs, keptRequests, keptResults, info, modelStarted, modelMs, previous));
        }
    }

    /// <summary>
    /// Starts sending the next event of each of <paramref name="roomIds"/> (one per room, in order), each after that room's
    /// previous one still under way: <paramref name="send"/> gets those (null where none) and must decrement each room's
    /// deliveries as it finishes. Under the scheduler lock, so concurrent run endings chain correctly.
    /// </summary>
    private void StartDeliveryLocked(IReadOnlyList<string> roomIds, Func<Task?[], Task> send)
    {
        var previous = new Task?[roomIds.Count];
        for (var i = 0; i < roomIds.Count; i++)
        {
            var state = StateLocked(roomIds[i]);
            previous[i] = state.Deliveries > 0 ? state.LastDelivery : null;
            state.Deliveries++;
        }
        // The lock is held until LastDelivery is set, so the delivery cannot end (and decrement) before it is recorded.
        var delivery = Task.Run(() => send(previous), CancellationToken.None);
        foreach (var id in roomIds) StateLocked(id).LastDelivery = delivery;
        _deliveries.Add(delivery);
        _ = delivery.ContinueWith(t => { lock (_gate) _deliveries.Remove(t); }, TaskScheduler.Default);
    }

    /// <summary>Tells a room its frame failed, after its previous event (<paramref name="previous"/>, never faulting).</summary>
    private async Task FailAfterAsync(string roomId, Task? previous, FrameFailedMessage message)
    {
        try
        {
            if (previous is not null) await previous;
            await FailAsync(roomId, message);
        }
        finally
        {
            lock (_gate) StateLocked(roomId).Deliveries--;
            if (_wake.CurrentCount == 0) _wake.Release();
        }
    }

    /// <summary>
    /// Encodes each frame (in parallel) and sends it to its room only, each after the room's previous frame
    /// (<paramref name="previous"/>: the deliveries under way when this batch's run ended; they never fault).
    /// </summary>
    private async Task DeliverAsync(List<Job> batch, List<GenerationRequest> requests, IReadOnlyList<GenerationResult> results,
        GeneratorInfo info, long modelStarted, double modelMs, Task?[] previous)
    {
        var encoded = new (byte[] Bytes, string ContentType, double Ms)?[batch.Count];
        var errors = new Exception?[batch.Count];
        Parallel.For(0, batch.Count, i =>
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                var (bytes, contentType) = encoder.Encode(results[i].Image);
                encoded[i] = (bytes, contentType, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (Exception ex)
            {
                errors[i] = ex;
            }
        });

        for (var i = 0; i < batch.Count; i++)
        {
            var job = batch[i];
            try
            {
                if (errors[i] is { } error)
                {
                    if (previous[i] is { } earlier) await earlier;
                    throw error;
                }
                var (bytes, contentType, encodeMs) = encoded[i]!.Value;
                var t = results[i].Timings;
                var timings = new FrameTimings(
                    QueueMs: Stopwatch.GetElapsedTime(job.RevisionTimestamp, modelStarted).TotalMilliseconds,
                    RasterMs: job.RasterMs,
                    TextMs: t.Text.TotalMilliseconds,
                    ControlEncodeMs: t.ControlEncode.TotalMilliseconds,
                    StepsMs: [.. t.Steps.Select(s => s.TotalMilliseconds)],
                    DecodeMs: t.Decode.TotalMilliseconds,
                    ModelMs: t.Total > TimeSpan.Zero ? t.Total.TotalMilliseconds : modelMs,
                    EncodeMs: encodeMs,
                    ServerMs: Stopwatch.GetElapsedTime(job.RevisionTimestamp).TotalMilliseconds,
                    BatchSize: batch.Count,
                    WaitMs: job.WaitMs);
                var frame = new FrameMessage(job.State.Revision, bytes, contentType, results[i].Image.Width, results[i].Image.Height,
                    job.Steps, requests[i].Seed, job.State.Prompt, info.ModelName, job.IsRefinement, timings,
                    results[i].Decoder == FrameDecoder.Preview ? "preview" : "full");
                if (previous[i] is { } before) await before;
                await rooms.FrameReadyAsync(job.State.RoomId, frame);
                await hub.Clients.Group(SketchHub.GroupName(job.State.RoomId)).Frame(frame);
                feed.Publish(new FrameReadyEvent(job.State.RoomId, frame));
                Observability.SanaSprintMetrics.RecordFrame(frame);
                Interlocked.Increment(ref _framesSent);
            }
            catch (Exception ex)
            {
                Log.FrameFailed(logger, job.State.RoomId, job.State.Revision, ex);
                await FailAsync(job.State.RoomId, new FrameFailedMessage(job.State.Revision, $"The frame for revision {job.State.Revision} failed: {ex.Message}", false));
            }
            finally
            {
                lock (_gate) StateLocked(job.State.RoomId).Deliveries--;
                if (_wake.CurrentCount == 0) _wake.Release();
            }
        }
    }

    private void MarkRendered(Job job)
    {
        lock (_gate)
        {
            var state = StateLocked(job.State.RoomId);
            state.LastRenderedRevision = Math.Max(state.LastRenderedRevision, job.State.Revision);
            state.Preemptions = 0;
            // A live frame of a room that has not changed since earns one refinement once the room is quiet.
            if (!job.IsRefinement && state.Node is null && !state.RefinePending && _options.RefineSteps > job.Steps)
            {
                state.RefinePending = true;
                _refine.Add(job.State.RoomId);
            }
        }
    }

    private async Task FailAsync(string roomId, FrameFailedMessage message)
    {
        Interlocked.Increment(ref _framesFailed);
        try
        {
            await hub.Clients.Group(SketchHub.GroupName(roomId)).FrameFailed(message);
        }
        catch (Exception ex)
        {
            Log.SendFailed(logger, roomId, ex);
        }
        await rooms.FrameFailedAsync(roomId, message);
        feed.Publish(new FrameFailedEvent(roomId, message));
    }

    private static GuidanceMode PickMode(GuidanceMode wanted, IReadOnlyList<GuidanceMode> supported)
    {
        if (supported.Contains(wanted)) return wanted;
        if (supported.Contains(GuidanceMode.ControlNet)) return GuidanceMode.ControlNet;
        return supported.Contains(GuidanceMode.Img2Img) ? GuidanceMode.Img2Img : GuidanceMode.Text;
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken ct)
    {
        if (delay == TimeSpan.Zero) return;
        await _wake.WaitAsync(delay, ct);
    }

    /// <summary>The run has ended (done, failed or cancelled): it is no longer in flight and its time counts as busy.</summary>
    private void EndRun(InFlightRun run, List<Job> batch, long started)
    {
        var ended = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (ReferenceEquals(_inFlight, run)) _inFlight = null;
            _active.Remove(run);
            foreach (var job in batch) StateLocked(job.State.RoomId).Running--;
            _busy[_busyNext] = (started, ended);
            _busyNext = (_busyNext + 1) % _busy.Length;
        }
        // With overlap the loop may be waiting only for this run's rooms to leave it.
        if (Overlap && _wake.CurrentCount == 0) _wake.Release();
    }

    /// <summary>
    /// Milliseconds between <paramref name="from"/> and <paramref name="to"/> during which at least one model run was in
    /// flight (ended runs and the ones still running; overlapping runs count once).
    /// </summary>
    private double BusyMsLocked(long from, long to)
    {
        Span<(long Start, long End)> spans = stackalloc (long, long)[_busy.Length + _active.Count];
        var count = 0;
        foreach (var (start, end) in _busy)
        {
            if (end <= start) continue; // an unused slot
            if (Math.Min(end, to) > Math.Max(start, from)) spans[count++] = (Math.Max(start, from), Math.Min(end, to));
        }
        foreach (var run in _active)
        {
            if (to > Math.Max(run.Started, from)) spans[count++] = (Math.Max(run.Started, from), to);
        }
        spans = spans[..count];
        spans.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        long ticks = 0, covered = from;
        foreach (var (start, end) in spans)
        {
            var s = Math.Max(start, covered);
            if (end > s) ticks += end - s;
            covered = Math.Max(covered, end);
        }
        return ticks * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>
    /// A room's frames in a model run or being encoded and sent, at most, when a new run of the room starts (one fewer):
    /// one being sent plus the new one; with overlap also one decoding.
    /// </summary>
    private int MaxFramesInFlightPerRoom => Overlap ? 3 : 2;

    /// <summary>Whether runs overlap (<see cref="SchedulerOptions.RunOverlap"/> <c>decode</c>).</summary>
    private bool Overlap => _options.RunOverlap == "decode";

    private RoomFrameState StateLocked(string roomId)
    {
        if (!_states.TryGetValue(roomId, out var state)) _states[roomId] = state = new RoomFrameState();
        return state;
    }

    private sealed class RoomFrameState
    {
        public LinkedListNode<string>? Node;          // in the dirty queue when not null
        public long ChangedAt = Stopwatch.GetTimestamp();
        public long LastRenderedRevision;
        public bool RefinePending;
        public int Deliveries;                       // its frames being encoded and sent
        public Task? LastDelivery;                   // the delivery of its newest frame (valid while Deliveries > 0)
        public int Preemptions;                      // its runs pre-empted in a row
        public int Running;                          // its model runs in flight (two at most, with overlap)
        public long RunningRevision;                 // the newest revision that went into a run (valid while Running > 0)
        public string? ToldUnavailable;              // the unavailability reason this room was told
    }

    private sealed class Job(RoomRenderState state, int steps, bool isRefinement)
    {
        public RoomRenderState State { get; } = state;
        /// <summary>This host's <see cref="Stopwatch"/> timestamp of the revision, from its age when the state was read.</summary>
        public long RevisionTimestamp { get; } = Stopwatch.GetTimestamp() - (long)(state.RevisionAge.TotalSeconds * Stopwatch.Frequency);
        public int Steps { get; } = steps;
        public bool IsRefinement { get; } = isRefinement;
        public double RasterMs { get; set; }
        public double WaitMs { get; set; }
    }

    /// <summary>The model run in flight: its rooms, how to cancel it, and how far it got.</summary>
    private sealed class InFlightRun(IReadOnlyList<string> roomIds, CancellationTokenSource cancellation, int pointRank)
    {
        public IReadOnlyList<string> RoomIds { get; } = roomIds;
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public int PointRank { get; } = pointRank;  // last stage rank at which it may be pre-empted; -1: never
        public bool PastPoint;                       // under the scheduler lock
        public bool Preempted;                       // under the scheduler lock
        public long Started;                         // when the model run started (under the scheduler lock)
        public int LastStep { get; init; }           // the index of its last denoising step
        public TaskCompletionSource? Decoding { get; init; } // overlap: completed when it enters its decode stage
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The frame loop hit an unexpected error; it keeps serving", EventName = "FrameLoopError")]
        public static partial void StepFailed(ILogger logger, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "A batch of {BatchSize} rooms failed; retrying each room alone", EventName = "FrameBatchFailed")]
        public static partial void BatchFailedRetryingSingly(ILogger logger, int batchSize, Exception exception);

        [LoggerMessage(3, LogLevel.Warning, "The frame of room '{RoomId}' at revision {Revision} failed", EventName = "FrameFailed")]
        public static partial void FrameFailed(ILogger logger, string roomId, long revision, Exception exception);

        [LoggerMessage(4, LogLevel.Warning, "Sending a frame event to room '{RoomId}' failed", EventName = "FrameSendFailed")]
        public static partial void SendFailed(ILogger logger, string roomId, Exception exception);
    }
}
