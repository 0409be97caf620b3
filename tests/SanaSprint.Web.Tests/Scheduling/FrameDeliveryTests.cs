using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Scheduling;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Scheduling;

/// <summary>Per-room delivery alone, with a recording hub: each room's frames in order, no room or connection holding another up.</summary>
public sealed class FrameDeliveryTests
{
    private readonly RecordingHubContext _hub = new();
    private readonly RecordingRooms _rooms = new();
    private readonly ConnectionOutboxes _outboxes;
    private readonly FrameDelivery _delivery;

    public FrameDeliveryTests()
    {
        _outboxes = new ConnectionOutboxes(_hub.Context, Options.Create(new OutboxOptions()), NullLogger<ConnectionOutboxes>.Instance);
        _outboxes.Enter("in-a", "a", () => { });
        _outboxes.Enter("in-b", "b", () => { });
        _delivery = new FrameDelivery(_rooms, _outboxes, new FrameEncoder(Options.Create(new SchedulerOptions())), new FakeTimeProvider(),
            NullLogger<FrameDelivery>.Instance);
    }

    [Fact]
    public async Task ARoomsFramesAndFailuresAreHandedOnInOrderWhileASlowConnectionHoldsNothingUp()
    {
        var slow = _hub.Hold("in-a");
        _delivery.Enqueue(Frame("a", 1));
        await _hub.WaitForStartedAsync("in-a", 1);

        // Room a's only connection is still taking frame 1: the room goes on, and so does room b.
        _delivery.EnqueueFailure("a", new FrameFailedMessage(2, "failed", false));
        _delivery.Enqueue(Frame("a", 3));
        _delivery.Enqueue(Frame("b", 1));
        await _hub.WaitForAsync("in-b", 1);
        await _delivery.DrainAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, _delivery.Pending("a"));
        Assert.Equal(["a 1", "a failed 2", "a 3"], _rooms.Told.Where(t => t.StartsWith("a ", StringComparison.Ordinal)));
        Assert.Equal(3, _delivery.FramesSent);
        Assert.Equal(1, _delivery.FramesFailed);

        // Once it reads again it gets the newest: the failure of 2 was replaced by frame 3 before it was sent.
        slow.SetResult();
        await _hub.WaitForAsync("in-a", 2);
        Assert.Equal([1L, 3L], _hub.Sent<FrameMessage>("in-a").Select(f => f.Revision));
        Assert.Empty(_hub.Sent<FrameFailedMessage>("in-a"));
        Assert.Equal(1, _outboxes.FramesDropped);
    }

    [Fact]
    public async Task AFrameCarriesItsRunsTimings()
    {
        _delivery.Enqueue(Frame("a", 7) with { WaitMs = 12, RasterMs = 3, BatchSize = 2 });
        await _hub.WaitForAsync("in-a", 1);

        var frame = Assert.Single(_rooms.Frames);
        Assert.Same(frame, Assert.Single(_hub.Sent<FrameMessage>("in-a")));
        Assert.Equal((7L, "image/jpeg", 8, 2, 12.0, 3.0, 2), (frame.Revision, frame.ContentType, frame.Width, frame.Steps, frame.Timings.WaitMs, frame.Timings.RasterMs, frame.Timings.BatchSize));
        Assert.Equal([10.0, 10.0], frame.Timings.StepsMs);
    }

    private static RenderedFrame Frame(string roomId, long revision)
    {
        var state = new RoomRenderState(roomId, revision, TimeSpan.Zero, [], "p", "p", new FrameSettings(2, 1, false, GuidanceMode.Text, 0.5f, 1f, null), 1024, 1024);
        var result = new GenerationResult(new RgbImage(8, 8, new byte[8 * 8 * 3]), new StageTimings
        {
            Steps = [TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10)],
            Total = TimeSpan.FromMilliseconds(20),
        });
        return new RenderedFrame(state, 2, false, result, "test", 0, 0, 20, 0, 0, 1);
    }

    private sealed class RecordingRooms : IRenderSource
    {
        private readonly ConcurrentQueue<string> _told = new();
        private readonly ConcurrentQueue<FrameMessage> _frames = new();

        public event Action<string>? RevisionChanged { add { } remove { } }

        public IReadOnlyList<string> Told => [.. _told];

        public IReadOnlyList<FrameMessage> Frames => [.. _frames];

        public ValueTask<RoomRenderState?> GetRenderStateAsync(string roomId, CancellationToken cancellationToken = default) => ValueTask.FromResult<RoomRenderState?>(null);

        public ValueTask FrameReadyAsync(string roomId, FrameMessage frame)
        {
            _frames.Enqueue(frame);
            _told.Enqueue($"{roomId} {frame.Revision}");
            return ValueTask.CompletedTask;
        }

        public ValueTask FrameFailedAsync(string roomId, FrameFailedMessage failure)
        {
            _told.Enqueue($"{roomId} {failure.Message} {failure.Revision}");
            return ValueTask.CompletedTask;
        }
    }
}
