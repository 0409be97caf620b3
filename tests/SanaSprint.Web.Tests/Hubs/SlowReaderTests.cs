using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;
using Xunit.Abstractions;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>
/// A participant that stops reading, on real Kestrel: the room's other participants keep drawing, every call acknowledged,
/// while it is still connected. The control run has the same raw client read, and shows that the same drawing sends it
/// more than every buffer between the server and a client that does not read can hold.
/// </summary>
public sealed class SlowReaderTests(KestrelHubFixture app, ITestOutputHelper output) : IClassFixture<KestrelHubFixture>
{
    private const int Strokes = 5;
    private const int AppendsPerStroke = 40; // 200 AppendPoints calls in all
    private const int PointsPerAppend = 500;
    private const string StrokeEndedMarker = "\"target\":\"StrokeEnded\"";

    /// <summary>A guard against a hang (a hub call stuck behind the stalled reader), not a timing assertion.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3);

    private IRoomDirectory Directory => app.Services.GetRequiredService<IRoomDirectory>();

    private ConnectionOutboxes Outboxes => app.Services.GetRequiredService<ConnectionOutboxes>();

    [Fact]
    public async Task AParticipantThatStopsReadingHoldsUpNoOtherParticipantsCalls()
    {
        var (roomId, drawer, watcher) = await RoomAsync();
        await using var stalled = await RawJsonHubClient.ConnectAsync(app.BaseAddress, KestrelHubFixture.SmallSocketBuffer);
        await stalled.InvokeAsync("JoinRoom", roomId, "stalled"); // and never reads again
        await watcher.WaitForAsync<PresenceMessage>(p => p.Participant.DisplayName == "stalled");

        var acknowledged = await DrawHeavilyAsync(drawer).WaitAsync(Guard);

        // Every call was acknowledged while the stalled participant is still connected and in the room ...
        Assert.Equal(Strokes * (AppendsPerStroke + 2), acknowledged);
        Assert.NotNull(await Directory.FindSessionAsync(stalled.ConnectionId));
        // ... and it really is stalled: the room's events are piling up for it, undelivered.
        var backlog = Outboxes.Backlog(stalled.ConnectionId);
        output.WriteLine($"{acknowledged} calls acknowledged; {backlog} events waiting for the stalled connection");
        Assert.True(backlog > 0, $"the stalled connection's backlog is {backlog}");
        // The reading participant got the whole drawing.
        await watcher.WaitForAsync<StrokeEndedMessage>(e => e.StrokeId == StrokeId(Strokes - 1), Guard);
        Assert.Equal(Strokes * AppendsPerStroke, watcher.All<PointsAppendedMessage>().Count);

        // Once it drops its connection, the server lets it go.
        stalled.Abort();
        var guard = Task.Delay(Guard);
        while (await Directory.FindSessionAsync(stalled.ConnectionId) is not null || Outboxes.Backlog(stalled.ConnectionId) is not null)
        {
            if (guard.IsCompleted) throw new TimeoutException("The server kept the dropped connection.");
            await Task.Delay(20);
        }
        await drawer.DisposeAsync();
        await watcher.DisposeAsync();
    }

    [Fact]
    public async Task ControlTheSameClientReadingIsSentMoreThanTheBuffersOnTheWayHold()
    {
        var (roomId, drawer, watcher) = await RoomAsync();
        await using var reader = await RawJsonHubClient.ConnectAsync(app.BaseAddress, KestrelHubFixture.SmallSocketBuffer);
        var allEnded = reader.StartReading(StrokeEndedMarker, Strokes);
        await reader.InvokeAsync("JoinRoom", roomId, "reader");
        await watcher.WaitForAsync<PresenceMessage>(p => p.Participant.DisplayName == "reader");

        var acknowledged = await DrawHeavilyAsync(drawer).WaitAsync(Guard);
        await allEnded.WaitAsync(Guard);

        Assert.Equal(Strokes * (AppendsPerStroke + 2), acknowledged);
        Assert.Equal(0, Outboxes.Backlog(reader.ConnectionId));
        // Between the server and a client that stops reading: SignalR's application and transport pipes (64 KiB each by
        // default, HttpConnectionDispatcherOptions), Kestrel's response buffer, the server socket's send buffer and the
        // client socket's receive buffer. The drawing sends a reader several times all of that, so a client that does
        // not read makes the server's sends to it wait.
        var kestrel = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxResponseBufferSize ?? 0;
        var buffers = 2 * 64 * 1024 + kestrel + app.ServerSendBufferSize + reader.ReceiveBufferSize;
        output.WriteLine($"a reader received {reader.BytesReceived} bytes; the buffers on the way hold {buffers} (server socket {app.ServerSendBufferSize}, client socket {reader.ReceiveBufferSize})");
        Assert.True(reader.BytesReceived > 4 * buffers, $"a reader received {reader.BytesReceived} bytes; the buffers on the way hold {buffers}");
        await drawer.DisposeAsync();
        await watcher.DisposeAsync();
    }

    private async Task<(string RoomId, SketchClient Drawer, SketchClient Watcher)> RoomAsync()
    {
        var roomId = await Directory.CreateRoomAsync();
        var drawer = await app.ConnectOverSocketAsync();
        await drawer.JoinAsync(roomId, "drawer");
        var watcher = await app.ConnectOverSocketAsync();
        await watcher.JoinAsync(roomId, "watcher");
        return (roomId, drawer, watcher);
    }

    /// <summary>Draws <see cref="Strokes"/> long strokes, every call acknowledged; returns how many calls were.</summary>
    private static async Task<int> DrawHeavilyAsync(SketchClient drawer)
    {
        var acknowledged = 0;
        for (var s = 0; s < Strokes; s++)
        {
            await drawer.Connection.InvokeAsync<long>("BeginStroke", StrokeId(s), "#123456", 3f);
            acknowledged++;
            for (var a = 0; a < AppendsPerStroke; a++)
            {
                var points = Enumerable.Range(0, PointsPerAppend)
                    .Select(i => new StrokePoint(10.123456f + (i * 1.987654f % 1000), 20.654321f + (a * 3.141593f % 1000), 0.123457f))
                    .ToArray();
                await drawer.Connection.InvokeAsync<long>("AppendPoints", StrokeId(s), points);
                acknowledged++;
            }
            await drawer.Connection.InvokeAsync<long>("EndStroke", StrokeId(s));
            acknowledged++;
        }
        return acknowledged;
    }

    private static string StrokeId(int stroke) => $"heavy-{stroke}";
}
