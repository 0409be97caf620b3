using Microsoft.AspNetCore.SignalR.Client;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestSupport;
using GatedApp = SanaSprint.Web.Tests.Scheduling.PreemptionTests.GatedApp;

namespace SanaSprint.Web.Tests.Scheduling;

/// <summary>
/// Run overlap (<c>SchedulerOptions:RunOverlap = decode</c>): the next run starts while the run in flight decodes, never a
/// third one, a room's frames stay in revision order (a stale frame is dropped), and rooms still take turns. Each test holds
/// runs in their decode stage with <see cref="GatedImageGenerator"/>.
/// </summary>
public sealed class RunOverlapTests
{
    private static StrokePoint[] Points(int seed) => [new(10 + seed, 10, 0.5f), new(20 + seed, 30, 0.5f)];

    private static List<long> LiveFrames(SketchClient client) => [.. client.All<FrameMessage>().Where(f => !f.IsRefinement).Select(f => f.Revision)];

    private static bool For(GatedRun run, string prompt) => run.Requests.Any(r => r.Prompt.Contains(prompt, StringComparison.Ordinal));

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task TheNextRunStartsWhileThePreviousDecodesButNoThird()
    {
        await using var app = new GatedApp(("SchedulerOptions:RunOverlap", "decode"));
        var (a, _) = await app.SettledRoomAsync("room A");
        var (b, _) = await app.SettledRoomAsync("room B");
        var before = LiveFrames(a).Count;

        app.Gated.HoldIn = (GenerationStage.Decode, 0);
        var older = await a.Connection.InvokeAsync<long>("BeginStroke", "s", "#000000", 4f);
        var first = await app.Gated.WaitUntilHeldAsync();
        // A newer revision while the run decodes starts the next run at once; it too stops in its decode stage.
        var newer = await a.Connection.InvokeAsync<long>("AppendPoints", "s", Points(0));
        var second = await app.Gated.WaitUntilHeldAsync();
        Assert.Equal([(first, GenerationStage.Decode)], second.StartedWhile);
        // Two runs in flight, both decoding: room B waits for the first to end.
        var revisionB = await b.Connection.InvokeAsync<long>("BeginStroke", "b", "#000000", 4f);
        app.Gated.HoldIn = null;
        first.Release();
        await a.WaitForAsync<FrameMessage>(f => f.Revision == older);
        second.Release();

        var frame = await a.WaitForAsync<FrameMessage>(f => f.Revision == newer);
        await b.WaitForAsync<FrameMessage>(f => f.Revision == revisionB);
        Assert.Equal([older, newer], LiveFrames(a).Skip(before));
        // The newer revision waited only while the first run decoded, and that counts once (QueueMs is whole 100 ns ticks).
        Assert.True(frame.Timings.WaitMs > 0 && frame.Timings.WaitMs <= frame.Timings.QueueMs + 0.001, $"wait {frame.Timings.WaitMs} ms, queue {frame.Timings.QueueMs} ms");
        var third = app.Gated.Runs.Last(r => For(r, "room B"));
        Assert.DoesNotContain(third.StartedWhile, other => other.Run == first);
        Assert.Equal(2, app.Gated.MaxConcurrentRuns);
        Assert.Equal(0, app.Scheduler.StaleFramesDropped);
    }

    [Fact]
    public async Task AFrameThatWouldArriveAfterANewerOneIsDropped()
    {
        await using var app = new GatedApp(("SchedulerOptions:RunOverlap", "decode"));
        var (client, _) = await app.SettledRoomAsync("one room");
        var before = LiveFrames(client).Count;

        app.Gated.HoldIn = (GenerationStage.Decode, 0);
        await client.Connection.InvokeAsync<long>("BeginStroke", "s", "#000000", 4f);
        var stale = await app.Gated.WaitUntilHeldAsync();
        // The next run, of a newer revision, overtakes the one held in decode.
        app.Gated.HoldIn = null;
        var newer = await client.Connection.InvokeAsync<long>("AppendPoints", "s", Points(0));
        await client.WaitForAsync<FrameMessage>(f => f.Revision == newer);
        stale.Release();
        await UntilAsync(() => app.Scheduler.StaleFramesDropped == 1, "the stale frame was not dropped");
        var last = await client.Connection.InvokeAsync<long>("EndStroke", "s");
        await client.WaitForAsync<FrameMessage>(f => f.Revision == last);

        Assert.Equal(GatedRunOutcome.Completed, stale.Outcome);
        Assert.Equal([newer, last], LiveFrames(client).Skip(before));
        Assert.True(app.Gated.MaxConcurrentRuns <= 2);
    }

    [Fact]
    public async Task RoomsStillTakeTurns()
    {
        await using var app = new GatedApp(("SchedulerOptions:RunOverlap", "decode"), ("SchedulerOptions:BatchSize", "1"));
        var (a, _) = await app.SettledRoomAsync("room A");
        var (b, _) = await app.SettledRoomAsync("room B");
        var (c, _) = await app.SettledRoomAsync("room C");
        var runsBefore = app.Gated.Runs.Count;

        app.Gated.HoldIn = (GenerationStage.Decode, 0);
        await a.Connection.InvokeAsync<long>("BeginStroke", "a", "#000000", 4f);
        var runA = await app.Gated.WaitUntilHeldAsync();
        var revisionB = await b.Connection.InvokeAsync<long>("BeginStroke", "b", "#000000", 4f);
        var runB = await app.Gated.WaitUntilHeldAsync();
        // C changed before A changed again: C goes first, once A's first run has ended.
        var revisionC = await c.Connection.InvokeAsync<long>("BeginStroke", "c", "#000000", 4f);
        var newerA = await a.Connection.InvokeAsync<long>("AppendPoints", "a", Points(0));
        app.Gated.HoldIn = null;
        runA.Release();
        await c.WaitForAsync<FrameMessage>(f => f.Revision == revisionC);
        runB.Release();

        await a.WaitForAsync<FrameMessage>(f => f.Revision == newerA);
        await b.WaitForAsync<FrameMessage>(f => f.Revision == revisionB);
        var order = app.Gated.Runs.Skip(runsBefore).Select(r => For(r, "room A") ? "A" : For(r, "room B") ? "B" : "C").ToList();
        Assert.Equal(["A", "B", "C", "A"], order);
        Assert.Equal(2, app.Gated.MaxConcurrentRuns);
    }
}
