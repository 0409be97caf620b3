using System.Threading.Channels;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>An <see cref="IRoomObserver"/> that queues what a room grain sends it, to read in order.</summary>
public sealed class RecordingRoomObserver : IRoomObserver
{
    /// <summary>Everything received, in order (events, frames, failures).</summary>
    public Channel<object> Received { get; } = Channel.CreateUnbounded<object>();

    /// <inheritdoc />
    public Task OnEventAsync(RoomEvent roomEvent, string? exceptSessionId) => Write(roomEvent);

    /// <inheritdoc />
    public Task OnFrameAsync(FrameMessage frame) => Write(frame);

    /// <inheritdoc />
    public Task OnFrameFailedAsync(FrameFailedMessage failure) => Write(failure);

    /// <summary>The next item of type <typeparamref name="T"/> received (earlier items of other types are skipped).</summary>
    public async Task<T> NextAsync<T>()
    {
        while (true)
        {
            var item = await Received.Reader.ReadAsync().AsTask().WaitAsync(RoomClusterFixture.HangGuard);
            if (item is T wanted) return wanted;
        }
    }

    private Task Write(object item)
    {
        Received.Writer.TryWrite(item);
        return Task.CompletedTask;
    }
}
