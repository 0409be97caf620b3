using System.Collections.Concurrent;
using System.Threading.Channels;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Scheduling;

/// <summary>
/// Encodes rendered frames and hands them (or failures) to their rooms' connections, each room's in the order they were
/// handed over: one <see cref="Channel{T}"/> and one reader per room, so rooms encode in parallel and the next model run
/// need not wait for any of them. Sending is the connections' own (<see cref="ConnectionOutboxes"/>: latest wins per
/// connection), so a slow client delays no room.
/// </summary>
/// <param name="rooms">Told of every frame and failure (the room keeps its newest frame for joiners).</param>
/// <param name="outboxes">The room members' outboxes.</param>
/// <param name="encoder">Image → JPEG/WebP.</param>
/// <param name="time">The clock frame timings are measured on.</param>
/// <param name="logger">Logger.</param>
public sealed partial class FrameDelivery(
    IRenderSource rooms,
    ConnectionOutboxes outboxes,
    FrameEncoder encoder,
    TimeProvider time,
    ILogger<FrameDelivery> logger)
{
    private readonly ConcurrentDictionary<string, RoomOutbox> _outboxes = new(StringComparer.Ordinal);
    private long _framesSent, _framesFailed;

    /// <summary>Raised after each delivery ends (sent or failed), on the delivering thread.</summary>
    public event Action? Delivered;

    /// <summary>Frames sent since start.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Frame failures sent since start.</summary>
    public long FramesFailed => Interlocked.Read(ref _framesFailed);

    /// <summary>How many of a room's frames (or failures) are handed over and not yet passed on to its connections.</summary>
    /// <param name="roomId">The room.</param>
    /// <returns>The count.</returns>
    public int Pending(string roomId) => _outboxes.TryGetValue(roomId, out var outbox) ? Volatile.Read(ref outbox.Pending) : 0;

    /// <summary>Queues a rendered frame for its room, after the room's earlier frames.</summary>
    /// <param name="frame">The frame.</param>
    public void Enqueue(RenderedFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Post(frame.State.RoomId, frame);
    }

    /// <summary>Queues a failure for a room, after the room's earlier frames.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="failure">What its members are told.</param>
    public void EnqueueFailure(string roomId, FrameFailedMessage failure) => Post(roomId, failure);

    /// <summary>Tells a room's members that its frame failed, now (not after its queued frames).</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="failure">What they are told.</param>
    /// <returns>Done when queued for every member and told to the room.</returns>
    public async Task FailAsync(string roomId, FrameFailedMessage failure)
    {
        Interlocked.Increment(ref _framesFailed);
        outboxes.PublishFrameFailed(roomId, failure);
        await rooms.FrameFailedAsync(roomId, failure);
    }

    /// <summary>Waits until everything handed over so far has been passed on, or <paramref name="timeout"/> has passed.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>Done when drained or timed out.</returns>
    public Task DrainAsync(TimeSpan timeout)
    {
        var idle = _outboxes.Values.Select(o => o.WhenIdle()).ToArray();
        return Task.WhenAll(idle).WaitAsync(timeout, time).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    private void LogSendFailed(string roomId, Exception ex) => Log.SendFailed(logger, roomId, ex);

    private void Post(string roomId, object item)
    {
        var outbox = _outboxes.GetOrAdd(roomId, id => new RoomOutbox(id, this));
        Interlocked.Increment(ref outbox.Pending);
        if (!outbox.Channel.Writer.TryWrite(item)) throw new InvalidOperationException($"Room '{roomId}' no longer takes frames.");
    }

    private async Task DeliverAsync(string roomId, object item)
    {
        switch (item)
        {
            case RenderedFrame frame:
                try
                {
                    await SendFrameAsync(frame);
                }
                catch (Exception ex)
                {
                    var revision = frame.State.Revision;
                    Log.FrameFailed(logger, roomId, revision, ex);
                    await FailAsync(roomId, new FrameFailedMessage(revision, $"The frame for revision {revision} failed: {ex.Message}", false));
                }
                break;
            case FrameFailedMessage failure:
                await FailAsync(roomId, failure);
                break;
        }
    }

    private async Task SendFrameAsync(RenderedFrame f)
    {
        var started = time.GetTimestamp();
        var (bytes, contentType) = encoder.Encode(f.Result.Image);
        var encodeMs = time.GetElapsedTime(started).TotalMilliseconds;
        var t = f.Result.Timings;
        var timings = new FrameTimings(
            QueueMs: time.GetElapsedTime(f.RevisionTimestamp, f.ModelStarted).TotalMilliseconds,
            RasterMs: f.RasterMs,
            TextMs: t.Text.TotalMilliseconds,
            ControlEncodeMs: t.ControlEncode.TotalMilliseconds,
            StepsMs: [.. t.Steps.Select(s => s.TotalMilliseconds)],
            DecodeMs: t.Decode.TotalMilliseconds,
            ModelMs: t.Total > TimeSpan.Zero ? t.Total.TotalMilliseconds : f.ModelMs,
            EncodeMs: encodeMs,
            ServerMs: time.GetElapsedTime(f.RevisionTimestamp).TotalMilliseconds,
            BatchSize: f.BatchSize,
            WaitMs: f.WaitMs);
        var message = new FrameMessage(f.State.Revision, bytes, contentType, f.Result.Image.Width, f.Result.Image.Height,
            f.Steps, f.State.Settings.Seed, f.State.Prompt, f.ModelName, f.IsRefinement, timings,
            f.Result.Decoder == FrameDecoder.Preview ? "preview" : "full");
        await rooms.FrameReadyAsync(f.State.RoomId, message);
        outboxes.PublishFrame(f.State.RoomId, message);
        Observability.SanaSprintMetrics.RecordFrame(message);
        Interlocked.Increment(ref _framesSent);
    }

    /// <summary>One room's queue of frames and failures, read by one loop, so they leave in the order they came.</summary>
    private sealed class RoomOutbox
    {
        public readonly Channel<object> Channel = System.Threading.Channels.Channel.CreateUnbounded<object>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        public int Pending;
        private readonly Lock _gate = new();
        private TaskCompletionSource? _idle;

        public RoomOutbox(string roomId, FrameDelivery owner) => _ = ReadAsync(roomId, owner);

        /// <summary>Completes once nothing of this room is pending.</summary>
        public Task WhenIdle()
        {
            lock (_gate)
            {
                if (Volatile.Read(ref Pending) == 0) return Task.CompletedTask;
                _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _idle.Task;
            }
        }

        private async Task ReadAsync(string roomId, FrameDelivery owner)
        {
            await Task.Yield();
            await foreach (var item in Channel.Reader.ReadAllAsync())
            {
                try
                {
                    await owner.DeliverAsync(roomId, item);
                }
                catch (Exception ex)
                {
                    // Telling the room failed too (the room store threw): the next frame still goes out.
                    owner.LogSendFailed(roomId, ex);
                }
                finally
                {
                    TaskCompletionSource? idle = null;
                    lock (_gate)
                    {
                        if (Interlocked.Decrement(ref Pending) == 0)
                        {
                            idle = _idle;
                            _idle = null;
                        }
                    }
                    idle?.TrySetResult();
                    owner.Delivered?.Invoke();
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The frame of room '{RoomId}' at revision {Revision} failed", EventName = "FrameFailed")]
        public static partial void FrameFailed(ILogger logger, string roomId, long revision, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Sending a frame event to room '{RoomId}' failed", EventName = "FrameSendFailed")]
        public static partial void SendFailed(ILogger logger, string roomId, Exception exception);
    }
}

/// <summary>A model result for one room, with what its frame message and timings need.</summary>
/// <param name="State">The room state it was rendered from.</param>
/// <param name="Steps">sCM steps it ran.</param>
/// <param name="IsRefinement">True for the refinement frame after the room went quiet.</param>
/// <param name="Result">The model's image and stage timings.</param>
/// <param name="ModelName">The model that made it.</param>
/// <param name="RevisionTimestamp">The clock's timestamp of the revision (from its age when the state was read).</param>
/// <param name="ModelStarted">The clock's timestamp when the model run started.</param>
/// <param name="ModelMs">The model run's length as measured here.</param>
/// <param name="RasterMs">Rasterising the sketch.</param>
/// <param name="WaitMs">How long the revision waited for the model while it ran other runs.</param>
/// <param name="BatchSize">Rooms in the model run.</param>
public sealed record RenderedFrame(RoomRenderState State, int Steps, bool IsRefinement, GenerationResult Result, string ModelName,
    long RevisionTimestamp, long ModelStarted, double ModelMs, double RasterMs, double WaitMs, int BatchSize);
