using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Cluster.Tests;

/// <summary>
/// A SignalR client of one node's sketch hub that records what it receives, and waits (boundedly) for what a test expects.
/// </summary>
internal sealed class RoomClient : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly ConcurrentQueue<FrameMessage> _frames = new();
    private readonly ConcurrentQueue<StrokeEndedMessage> _strokesEnded = new();
    private readonly ConcurrentQueue<FrameFailedMessage> _failures = new();
    private readonly SemaphoreSlim _changed = new(0);

    private RoomClient(string url)
    {
        Url = url;
        _connection = new HubConnectionBuilder()
            .WithUrl(new Uri(new Uri(url), SketchHub.Path), o => o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets)
            .AddMessagePackProtocol()
            .Build();
        _connection.On<FrameMessage>(nameof(ISketchClient.Frame), m => Add(_frames, m));
        _connection.On<StrokeEndedMessage>(nameof(ISketchClient.StrokeEnded), m => Add(_strokesEnded, m));
        _connection.On<FrameFailedMessage>(nameof(ISketchClient.FrameFailed), m => Add(_failures, m));
    }

    /// <summary>The node it talks to.</summary>
    public string Url { get; }

    /// <summary>The snapshot of its last join.</summary>
    public RoomSnapshot? Snapshot { get; private set; }

    public IReadOnlyList<FrameMessage> Frames => [.. _frames];

    public IReadOnlyList<StrokeEndedMessage> StrokesEnded => [.. _strokesEnded];

    public IReadOnlyList<FrameFailedMessage> Failures => [.. _failures];

    public static async Task<RoomClient> ConnectAsync(string url)
    {
        var client = new RoomClient(url);
        await client._connection.StartAsync();
        return client;
    }

    public Task<string> CreateRoomAsync() => _connection.InvokeAsync<string>("CreateRoom");

    public async Task<RoomSnapshot> JoinAsync(string roomId, string name) =>
        Snapshot = await _connection.InvokeAsync<RoomSnapshot>("JoinRoom", roomId, name);

    public async Task<RoomSnapshot> RejoinAsync(RoomSnapshot earlier, string name) =>
        Snapshot = await _connection.InvokeAsync<RoomSnapshot>("RejoinRoom", earlier.RoomId, name, earlier.ParticipantId, earlier.RejoinToken);

    /// <summary>Draws one stroke of <paramref name="points"/> points and returns the revision its end was acknowledged at.</summary>
    public async Task<long> DrawStrokeAsync(string strokeId, int points = 8, float x0 = 100, float y0 = 100)
    {
        await _connection.InvokeAsync<long>("BeginStroke", strokeId, "#202020", 6f);
        var batch = Enumerable.Range(0, points).Select(i => new StrokePoint(x0 + i * 10, y0 + i * 5, 0.5f)).ToArray();
        await _connection.InvokeAsync<long>("AppendPoints", strokeId, batch);
        return await _connection.InvokeAsync<long>("EndStroke", strokeId);
    }

    public Task<long> SetPromptAsync(string prompt) => _connection.InvokeAsync<long>("SetPrompt", prompt);

    /// <summary>Waits until a condition over what was received holds, or fails after <paramref name="timeout"/> saying what was awaited.</summary>
    public async Task<T> WaitForAsync<T>(Func<RoomClient, T?> probe, TimeSpan timeout, string what) where T : class
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (probe(this) is { } found) return found;
            try
            {
                await _changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Url}: no {what} within {timeout.TotalSeconds:0} s (frames {_frames.Count}, " +
                    $"strokes ended {_strokesEnded.Count}, failures {string.Join(" | ", _failures.Select(f => f.Message))}).");
            }
        }
    }

    /// <summary>Waits for a non-refinement frame of at least <paramref name="revision"/>.</summary>
    public Task<FrameMessage> WaitForFrameAsync(long revision, TimeSpan timeout) =>
        WaitForAsync(c => c.Frames.FirstOrDefault(f => f.Revision >= revision && !f.IsRefinement), timeout, $"frame of revision ≥ {revision}");

    private void Add<T>(ConcurrentQueue<T> queue, T item)
    {
        queue.Enqueue(item);
        _changed.Release();
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _changed.Dispose();
    }
}
