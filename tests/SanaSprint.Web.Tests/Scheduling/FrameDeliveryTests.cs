using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Tests.Scheduling;

/// <summary>Per-room delivery alone, with a recording hub: each room's events in order, rooms independent of each other.</summary>
public sealed class FrameDeliveryTests
{
    private readonly RecordingHub _hub = new();
    private readonly RecordingRooms _rooms = new();
    private readonly FrameDelivery _delivery;

    public FrameDeliveryTests() => _delivery = new FrameDelivery(_rooms, _hub.Context,
        new FrameEncoder(Options.Create(new SchedulerOptions())), new FakeTimeProvider(), NullLogger<FrameDelivery>.Instance);

    [Fact]
    public async Task ARoomsFramesAndFailuresLeaveInOrderWhileASlowRoomHoldsNoOtherRoomUp()
    {
        var slow = _hub.Hold(SketchHub.GroupName("a"));

        _delivery.Enqueue(Frame("a", 1));
        _delivery.EnqueueFailure("a", new FrameFailedMessage(2, "failed", false));
        _delivery.Enqueue(Frame("a", 3));
        _delivery.Enqueue(Frame("b", 1));
        await _hub.WaitForAsync(SketchHub.GroupName("b"), 1);

        // Room a is still sending its first frame; b's frame went out meanwhile.
        Assert.Equal(3, _delivery.Pending("a"));
        slow.SetResult();
        await _delivery.DrainAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["Frame 1", "FrameFailed 2", "Frame 3"], _hub.Sent(SketchHub.GroupName("a")));
        Assert.Equal(["a 1", "a failed 2", "a 3"], _rooms.Told.Where(t => t.StartsWith("a ", StringComparison.Ordinal)));
        Assert.Equal(0, _delivery.Pending("a"));
        Assert.Equal(3, _delivery.FramesSent);
        Assert.Equal(1, _delivery.FramesFailed);
    }

    [Fact]
    public async Task AFrameCarriesItsRunsTimings()
    {
        _delivery.Enqueue(Frame("a", 7) with { WaitMs = 12, RasterMs = 3, BatchSize = 2 });
        await _hub.WaitForAsync(SketchHub.GroupName("a"), 1);

        var frame = Assert.Single(_rooms.Frames);
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

    /// <summary>A hub context whose groups record what they are sent; a held group's first send waits until released.</summary>
    private sealed class RecordingHub
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _sent = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _held = new();
        private readonly SemaphoreSlim _changed = new(0);

        public RecordingHub() => Context = Proxy<IHubContext<SketchHub, ISketchClient>>.Create((method, _) => method.Name switch
        {
            "get_Clients" => Proxy<IHubClients<ISketchClient>>.Create((m, args) => m.Name == "Group" ? Group((string)args[0]!) : throw new NotSupportedException(m.Name)),
            _ => throw new NotSupportedException(method.Name),
        });

        public IHubContext<SketchHub, ISketchClient> Context { get; }

        public TaskCompletionSource Hold(string group) => _held.GetOrAdd(group, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public IReadOnlyList<string> Sent(string group) => [.. _sent.GetOrAdd(group, _ => new())];

        public async Task WaitForAsync(string group, int count)
        {
            while (Sent(group).Count < count)
            {
                if (!await _changed.WaitAsync(TimeSpan.FromSeconds(10))) throw new TimeoutException($"{group} got {Sent(group).Count} of {count} events.");
            }
        }

        private ISketchClient Group(string group) => Proxy<ISketchClient>.Create((method, args) => SendAsync(group, method.Name, args[0]!));

        private async Task SendAsync(string group, string method, object message)
        {
            if (_held.TryGetValue(group, out var held)) await held.Task;
            var revision = message switch { FrameMessage f => f.Revision, FrameFailedMessage f => f.Revision, _ => -1 };
            _sent.GetOrAdd(group, _ => new()).Enqueue($"{method} {revision}");
            _changed.Release();
        }
    }

    /// <summary>An interface implemented by a delegate.</summary>
    public class Proxy<T> : DispatchProxy where T : class
    {
        private Func<MethodInfo, object?[], object?> _handler = (m, _) => throw new NotSupportedException(m.Name);

        public static T Create(Func<MethodInfo, object?[], object?> handler)
        {
            var proxy = DispatchProxy.Create<T, Proxy<T>>();
            ((Proxy<T>)(object)proxy)._handler = handler;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => _handler(targetMethod!, args ?? []);
    }
}
