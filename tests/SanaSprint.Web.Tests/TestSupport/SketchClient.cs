using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>A SignalR .NET client of the sketch hub that records every server event it receives.</summary>
public sealed class SketchClient : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string Name, object Message)> _events = new();
    private readonly SemaphoreSlim _arrived = new(0);

    /// <summary>Wraps a built (not started) connection.</summary>
    public SketchClient(HubConnection connection)
    {
        Connection = connection;
        On<StrokeBegunMessage>(nameof(ISketchClient.StrokeBegun));
        On<PointsAppendedMessage>(nameof(ISketchClient.PointsAppended));
        On<StrokeEndedMessage>(nameof(ISketchClient.StrokeEnded));
        On<StrokesRemovedMessage>(nameof(ISketchClient.StrokesRemoved));
        On<StrokesRestoredMessage>(nameof(ISketchClient.StrokesRestored));
        On<ClearedMessage>(nameof(ISketchClient.Cleared));
        On<PresenceMessage>(nameof(ISketchClient.PresenceChanged));
        On<CursorMessage>(nameof(ISketchClient.CursorMoved));
        On<SettingsChangedMessage>(nameof(ISketchClient.SettingsChanged));
        On<PromptChangedMessage>(nameof(ISketchClient.PromptChanged));
        On<FrameMessage>(nameof(ISketchClient.Frame));
        On<FrameFailedMessage>(nameof(ISketchClient.FrameFailed));
        On<AccessMessage>(nameof(ISketchClient.AccessChanged));
        On<RemovedMessage>(nameof(ISketchClient.Removed));
        On<ErrorMessage>(nameof(ISketchClient.Error));
    }

    /// <summary>The connection.</summary>
    public HubConnection Connection { get; }

    /// <summary>The snapshot of the last join.</summary>
    public RoomSnapshot? Snapshot { get; private set; }

    /// <summary>Every event of type <typeparamref name="T"/> so far, in arrival order.</summary>
    public IReadOnlyList<T> All<T>() => [.. _events.Select(e => e.Message).OfType<T>()];

    /// <summary>Joins a room and keeps the snapshot.</summary>
    public async Task<RoomSnapshot> JoinAsync(string roomId, string name) =>
        Snapshot = await Connection.InvokeAsync<RoomSnapshot>("JoinRoom", roomId, name);

    /// <summary>Joins again as the participant of the last snapshot (after a reconnect or page reload) and keeps the new snapshot.</summary>
    public async Task<RoomSnapshot> RejoinAsync(string roomId, string name, RoomSnapshot earlier) =>
        Snapshot = await Connection.InvokeAsync<RoomSnapshot>("RejoinRoom", roomId, name, earlier.ParticipantId, earlier.RejoinToken);

    /// <summary>Draws a whole stroke (begin, one append per point batch, end); returns the revision after the end.</summary>
    public async Task<long> DrawAsync(string strokeId, params StrokePoint[][] batches)
    {
        await Connection.InvokeAsync<long>("BeginStroke", strokeId, "#000000", 4f);
        foreach (var batch in batches) await Connection.InvokeAsync<long>("AppendPoints", strokeId, batch);
        return await Connection.InvokeAsync<long>("EndStroke", strokeId);
    }

    /// <summary>Waits until an event of type <typeparamref name="T"/> matching <paramref name="match"/> has arrived.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var found = All<T>().FirstOrDefault(m => match is null || match(m));
            if (found is not null) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"No {typeof(T).Name} matching the condition arrived; got {All<T>().Count} of that type and {_events.Count} events in all.");
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
        }
    }

    private void On<T>(string name) => Connection.On<T>(name, m =>
    {
        _events.Enqueue((name, m!));
        _arrived.Release();
    });

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
