using System.Diagnostics.Metrics;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Observability;

/// <summary>
/// The app's metrics (meter <see cref="MeterName"/>), exported at <c>/metrics</c> in Prometheus format:
/// <list type="bullet">
/// <item><c>sanasprint_frame_stage_duration_milliseconds</c>: histogram per frame and stage (<c>stage</c> = queue, raster, text,
/// control_encode, step, decode, model, encode, server).</item>
/// <item><c>sanasprint_frame_batch_size</c>: how many rooms shared the model run of each frame.</item>
/// <item><c>sanasprint_hub_errors_total</c>: refused or failed hub calls by <c>method</c> and <c>kind</c> (rejected, rate-limited, internal).</item>
/// <item><c>sanasprint_frames_sent_total</c>, <c>sanasprint_frames_failed_total</c>, <c>sanasprint_model_runs_total</c>,
/// <c>sanasprint_frames_skipped_total</c> (revisions skipped by latest-wins), <c>sanasprint_rooms</c>, <c>sanasprint_connections</c>,
/// <c>sanasprint_managed_memory_bytes</c> (heap in use, garbage included), <c>sanasprint_managed_memory_live_bytes</c> (what
/// survived the last full blocking GC: the number a leak check compares), <c>sanasprint_managed_memory_live_gc</c> (the index of
/// that GC).</item>
/// <item><c>sanasprint_outbox_frames_dropped_total</c> (unsent frames replaced by a newer one: a client slower than the frame rate),
/// <c>sanasprint_outbox_cursors_dropped_total</c> and <c>sanasprint_outbox_overflow_disconnects_total</c> (connections dropped because
/// their events piled up past <c>Outbox:EventCapacity</c>).</item>
/// <item><c>sanasprint_cluster_grain_call_duration_milliseconds</c>: histogram of cluster grain calls by <c>call</c> (e.g.
/// render_state: a GPU node pulling a room's render state) and <c>outcome</c> (ok, failed).</item>
/// <item><c>sanasprint_renderers</c>: rooms this GPU process renders (GPU nodes); there, <c>sanasprint_frames_sent_total</c>
/// counts the frames this GPU process rendered.</item>
/// </list>
/// </summary>
/// <remarks>Frame and hub-error instruments are static (recorded from the scheduler and the hub filter); the observable ones are
/// registered per app by <see cref="SanaSprintMetrics(IMeterFactory, IRoomStore, FrameScheduler, HubLimitFilter, ConnectionOutboxes, Cluster.Rendering.ClusterRenderSource?)"/>.</remarks>
public sealed class SanaSprintMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "SanaSprint.Web";

    private static readonly Meter StaticMeter = new(MeterName);

    private static readonly Histogram<double> StageDuration = StaticMeter.CreateHistogram<double>(
        "sanasprint.frame.stage.duration", "ms", "Time a frame spent in each stage, from the revision's change to the frame's send.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 15, 25, 50, 75, 100, 150, 250, 500, 750, 1000, 2500, 5000, 10000] });

    private static readonly Histogram<int> BatchSize = StaticMeter.CreateHistogram<int>(
        "sanasprint.frame.batch_size", "{room}", "How many rooms shared the model run of each frame.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 3, 4, 6, 8, 12, 16, 32, 64] });

    private static readonly Counter<long> HubErrors = StaticMeter.CreateCounter<long>(
        "sanasprint.hub.errors", "{call}", "Hub calls refused or failed, by method and kind.");

    private static readonly Counter<long> WatchdogDispatches = StaticMeter.CreateCounter<long>(
        "sanasprint.room.watchdog", "{dispatch}",
        "Room watchdog actions: a revision dispatched again after its frame deadline (redispatch), or no GPU worker up (no_gpu).");

    private static readonly Histogram<double> GrainCallDuration = StaticMeter.CreateHistogram<double>(
        "sanasprint.cluster.grain_call.duration", "ms", "Time of cluster grain calls, by call and outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000] });

    /// <summary>Registers the observable instruments of one app.</summary>
    /// <param name="meterFactory">The app's meter factory.</param>
    /// <param name="rooms">The rooms this server holds (their count).</param>
    /// <param name="scheduler">Frame counters.</param>
    /// <param name="hubFilter">Connection count.</param>
    /// <param name="outboxes">What slow connections lost.</param>
    /// <param name="renderers">The rooms this GPU process renders (GPU nodes only).</param>
    public SanaSprintMetrics(IMeterFactory meterFactory, IRoomStore rooms, FrameScheduler scheduler, HubLimitFilter hubFilter, ConnectionOutboxes outboxes,
        Cluster.Rendering.ClusterRenderSource? renderers = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("sanasprint.rooms", () => rooms.Count, "{room}", "Rooms the server holds.");
        meter.CreateObservableGauge("sanasprint.connections", () => hubFilter.Connections, "{connection}", "Open sketch hub connections.");
        meter.CreateObservableGauge("sanasprint.managed_memory", () => GC.GetTotalMemory(false), "By", "Managed heap bytes in use, garbage not yet collected included.");
        meter.CreateObservableGauge("sanasprint.managed_memory.live", LiveBytesAfterLastFullGc, "By",
            "Managed bytes that survived the last full blocking GC (0 before the first); induce one, then read this for a leak check.");
        meter.CreateObservableGauge("sanasprint.managed_memory.live.gc", () => GC.GetGCMemoryInfo(GCKind.FullBlocking).Index, "{gc}",
            "Index of the GC that sanasprint.managed_memory.live comes from: it changes once an induced collection is reflected.");
        meter.CreateObservableCounter("sanasprint.frames.sent", () => scheduler.Counters.FramesSent, "{frame}", "Frames sent to rooms.");
        meter.CreateObservableCounter("sanasprint.frames.failed", () => scheduler.Counters.FramesFailed, "{frame}", "Frame failures sent to rooms.");
        meter.CreateObservableCounter("sanasprint.model.runs", () => scheduler.Counters.ModelRuns, "{run}", "Model runs (batched).");
        meter.CreateObservableCounter("sanasprint.frames.skipped", () => scheduler.Counters.RevisionsSkipped, "{revision}",
            "Revisions never rendered because a newer one was rendered instead (latest wins).");
        meter.CreateObservableCounter("sanasprint.outbox.frames.dropped", () => outboxes.FramesDropped, "{frame}",
            "Unsent frames replaced by a newer one for the same connection (latest wins per connection).");
        meter.CreateObservableCounter("sanasprint.outbox.cursors.dropped", () => outboxes.CursorsDropped, "{message}",
            "Cursor moves dropped because their connection's event lane was full.");
        meter.CreateObservableCounter("sanasprint.outbox.overflow.disconnects", () => outboxes.OverflowDisconnects, "{connection}",
            "Connections disconnected because their unsent events exceeded Outbox:EventCapacity.");
        if (renderers is not null) meter.CreateObservableGauge("sanasprint.renderers", () => renderers.Renderers, "{room}", "Rooms this GPU process renders.");
    }

    /// <summary>
    /// Bytes live after the most recent full blocking (gen 2) collection: every generation's size after it, less the free
    /// space left in them. Unlike <see cref="GC.GetTotalMemory(bool)"/> it does not drift with garbage between collections,
    /// so two readings each taken right after an induced full GC compare what the app holds.
    /// </summary>
    /// <returns>Live bytes, or 0 when no full blocking GC has happened yet.</returns>
    public static long LiveBytesAfterLastFullGc()
    {
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        if (info.Index == 0) return 0;
        long live = 0;
        foreach (var generation in info.GenerationInfo) live += generation.SizeAfterBytes - generation.FragmentationAfterBytes;
        return live;
    }

    /// <summary>Records a sent frame's stage timings and batch size.</summary>
    /// <param name="frame">The frame.</param>
    public static void RecordFrame(FrameMessage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var t = frame.Timings;
        var kind = new KeyValuePair<string, object?>("refinement", frame.IsRefinement);
        Record("queue", t.QueueMs);
        Record("raster", t.RasterMs);
        Record("text", t.TextMs);
        Record("control_encode", t.ControlEncodeMs);
        foreach (var step in t.StepsMs) Record("step", step);
        Record("decode", t.DecodeMs);
        Record("model", t.ModelMs);
        Record("encode", t.EncodeMs);
        Record("server", t.ServerMs);
        BatchSize.Record(t.BatchSize, kind);

        void Record(string stage, double ms) => StageDuration.Record(ms, new KeyValuePair<string, object?>("stage", stage), kind);
    }

    /// <summary>Records the time of a cluster grain call.</summary>
    /// <param name="call">What was called (e.g. render_state).</param>
    /// <param name="milliseconds">How long it took.</param>
    /// <param name="ok">False when it failed or timed out.</param>
    public static void RecordGrainCall(string call, double milliseconds, bool ok) =>
        GrainCallDuration.Record(milliseconds, new KeyValuePair<string, object?>("call", call), new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));

    /// <summary>Counts a refused or failed hub call.</summary>
    /// <param name="method">The hub method.</param>
    /// <param name="kind">rejected, rate-limited or internal.</param>
    public static void HubError(string method, string kind) =>
        HubErrors.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Counts a room watchdog action.</summary>
    /// <param name="outcome"><c>redispatch</c> (no frame within <c>Deployment:FrameDeadline</c>) or <c>no_gpu</c> (no GPU worker up).</param>
    public static void Watchdog(string outcome) => WatchdogDispatches.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
