using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Scheduling;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Scheduling;

/// <summary>
/// Pre-emption: a newer revision cancels the run in flight only before its first denoising step has ended, only when that
/// delays no other room, and never twice in a row for a room. Each test holds the model inside one
/// stage (<see cref="GatedImageGenerator"/>), changes the room there, and looks at which runs completed and which frames
/// arrived.
/// </summary>
public sealed class PreemptionTests
{
    /// <summary>The app with <see cref="GatedImageGenerator"/> as its model and no refinement frames.</summary>
    internal sealed class GatedApp(params (string Key, string Value)[] overrides) : SketchHubFixture
    {
        public GatedImageGenerator Gated { get; } = new();

        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [
            .. base.Settings.Where(kv => overrides.All(o => o.Key != kv.Key)),
            // Live frames have 2 steps: no refinement runs in between.
            new("SchedulerOptions:RefineSteps", "2"),
            .. overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)),
        ];

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<IImageGenerator>();
                services.AddSingleton<IImageGenerator>(Gated);
            });
        }

        public FrameScheduler Scheduler => Services.GetRequiredService<FrameScheduler>();

        /// <summary>A room with one client whose prompt revision already has its frame.</summary>
        public async Task<(SketchClient Client, long Revision)> SettledRoomAsync(string prompt)
        {
            var roomId = Rooms.CreateRoom();
            var client = await ConnectAsync();
            await client.JoinAsync(roomId, "painter");
            var revision = await client.Connection.InvokeAsync<long>("SetPrompt", prompt);
            await client.WaitForAsync<FrameMessage>(f => f.Revision == revision);
            return (client, revision);
        }
    }

    private static StrokePoint[] Points(int seed) => [new(10 + seed, 10, 0.5f), new(20 + seed, 30, 0.5f)];

    private static List<long> LiveFrames(SketchClient client) => [.. client.All<FrameMessage>().Where(f => !f.IsRefinement).Select(f => f.Revision)];

    [Theory]
    [InlineData(true, GenerationStage.Text, 0, true)]
    [InlineData(true, GenerationStage.Prepare, 0, true)]
    [InlineData(true, GenerationStage.Step, 0, true)]
    [InlineData(true, GenerationStage.Step, 1, false)]
    [InlineData(true, GenerationStage.Decode, 0, false)]
    [InlineData(false, GenerationStage.Text, 0, false)]
    [InlineData(false, GenerationStage.Step, 0, false)]
    public async Task ANewerRevisionCancelsTheRunOnlyBeforeTheFirstStepEnds(bool preemption, GenerationStage stage, int step, bool cancelled)
    {
        await using var app = new GatedApp(("SchedulerOptions:Preemption", preemption ? "true" : "false"));
        var (client, _) = await app.SettledRoomAsync("one room");
        var before = LiveFrames(client).Count;

        app.Gated.HoldIn = (stage, step);
        var older = await client.Connection.InvokeAsync<long>("BeginStroke", "s", "#000000", 4f);
        var held = await app.Gated.WaitUntilHeldAsync();
        // The room changes while its run is inside the held stage.
        var newer = await client.Connection.InvokeAsync<long>("AppendPoints", "s", Points(0));
        app.Gated.HoldIn = null;
        app.Gated.Release();

        await client.WaitForAsync<FrameMessage>(f => f.Revision == newer);
        var frames = LiveFrames(client).Skip(before).ToList();
        if (cancelled)
        {
            // The stale run stops at its next stage boundary; the next frame carries the newest revision.
            Assert.Equal(GatedRunOutcome.Cancelled, held.Outcome);
            Assert.Equal([newer], frames);
            Assert.Equal(1, app.Scheduler.RunsPreempted);
        }
        else
        {
            // Past the point the run completes and its frame is sent, then the newest revision follows. A connection keeps
            // only its newest unsent frame, so the older one reaches this client unless the newer replaced it unsent.
            Assert.Equal(GatedRunOutcome.Completed, held.Outcome);
            if (frames.Count == 1) Assert.True(app.Services.GetRequiredService<ConnectionOutboxes>().FramesDropped > 0);
            else Assert.Equal([older, newer], frames);
            Assert.Equal(newer, frames[^1]);
            Assert.Equal(0, app.Scheduler.RunsPreempted);
        }
    }

    [Fact]
    public async Task AWaitForTheRunInFlightIsReportedAsWaitTime()
    {
        await using var app = new GatedApp(("SchedulerOptions:Preemption", "false"));
        var (client, _) = await app.SettledRoomAsync("one room");

        app.Gated.HoldIn = (GenerationStage.Step, 0);
        await client.Connection.InvokeAsync<long>("BeginStroke", "s", "#000000", 4f);
        await app.Gated.WaitUntilHeldAsync();
        var newer = await client.Connection.InvokeAsync<long>("AppendPoints", "s", Points(0));
        app.Gated.HoldIn = null;
        app.Gated.Release();

        var frame = await client.WaitForAsync<FrameMessage>(f => f.Revision == newer);
        Assert.True(frame.Timings.WaitMs > 0, $"wait {frame.Timings.WaitMs} ms");
        Assert.True(frame.Timings.WaitMs <= frame.Timings.QueueMs, $"wait {frame.Timings.WaitMs} ms > queue {frame.Timings.QueueMs} ms");
    }

    [Fact]
    public async Task ARoomThatNeverStopsChangingStillGetsFrames()
    {
        await using var app = new GatedApp(("SchedulerOptions:Preemption", "true"));
        var (client, _) = await app.SettledRoomAsync("busy room");
        var runsBefore = app.Gated.Runs.Count;
        var framesBefore = LiveFrames(client).Count;

        // Every run is still preparing when the next revision arrives.
        app.Gated.HoldIn = (GenerationStage.Prepare, 0);
        await client.Connection.InvokeAsync<long>("BeginStroke", "s", "#000000", 4f);
        for (var i = 0; i < 6; i++)
        {
            await app.Gated.WaitUntilHeldAsync();
            await client.Connection.InvokeAsync<long>("AppendPoints", "s", Points(i));
            app.Gated.Release();
        }
        await app.Gated.WaitUntilHeldAsync();
        app.Gated.HoldIn = null;
        app.Gated.Release();
        var last = await client.Connection.InvokeAsync<long>("EndStroke", "s");
        await client.WaitForAsync<FrameMessage>(f => f.Revision == last);

        // One run cancelled, then the next always completes and is shown.
        var outcomes = app.Gated.Runs.Skip(runsBefore).Take(6).Select(r => r.Outcome).ToList();
        var expected = Enumerable.Range(0, 6).Select(i => i % 2 == 1 ? GatedRunOutcome.Completed : GatedRunOutcome.Cancelled);
        Assert.Equal(expected, outcomes);
        var frames = LiveFrames(client).Skip(framesBefore).ToList();
        var completed = outcomes.Count(o => o == GatedRunOutcome.Completed);
        // The completed runs, then the held run's and the last revision's frames were sent; a connection keeps only its
        // newest unsent frame, so a client that reads more slowly than they come may skip some, never reorder them.
        Assert.InRange(frames.Count, 1, completed + 2);
        Assert.Equal(frames.Order(), frames);
        Assert.Equal(last, frames[^1]);
    }

    [Fact]
    public async Task NoPreemptionWhileAnotherRoomWaits()
    {
        await using var app = new GatedApp(("SchedulerOptions:Preemption", "true"));
        var (a, _) = await app.SettledRoomAsync("room A");
        var (b, _) = await app.SettledRoomAsync("room B");

        app.Gated.HoldIn = (GenerationStage.Prepare, 0);
        var olderA = await a.Connection.InvokeAsync<long>("BeginStroke", "a", "#000000", 4f);
        var held = await app.Gated.WaitUntilHeldAsync();
        var revisionB = await b.Connection.InvokeAsync<long>("BeginStroke", "b", "#000000", 4f);
        var newerA = await a.Connection.InvokeAsync<long>("AppendPoints", "a", Points(0));
        app.Gated.HoldIn = null;
        app.Gated.Release();

        await a.WaitForAsync<FrameMessage>(f => f.Revision == newerA);
        await b.WaitForAsync<FrameMessage>(f => f.Revision == revisionB);
        // Cancelling A's run would not have helped A (B is next) and would have delayed B.
        Assert.Equal(GatedRunOutcome.Completed, held.Outcome);
        Assert.Contains(olderA, LiveFrames(a));
        Assert.Equal(0, app.Scheduler.RunsPreempted);
    }
}
