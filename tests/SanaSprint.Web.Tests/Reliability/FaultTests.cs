using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Observability;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Reliability;

/// <summary>The real app (real inference engine) pointed at a checkpoint whose weights file is truncated.</summary>
public sealed class TruncatedCheckpointFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly TempFolder _folder = new("sanasprint-ckpt");

    public string CheckpointPath => Path.Combine(_folder.Path, "truncated-checkpoint");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        Directory.CreateDirectory(Path.Combine(CheckpointPath, "transformer"));
        File.WriteAllText(Path.Combine(CheckpointPath, "model_index.json"),
            """{"_class_name": "SanaSprintPipeline", "transformer": ["diffusers", "SanaTransformer2DModel"], "vae": ["diffusers", "AutoencoderDC"], "text_encoder": ["transformers", "Gemma2Model"], "tokenizer": ["transformers", "GemmaTokenizer"], "scheduler": ["diffusers", "SCMScheduler"]}""");
        File.WriteAllText(Path.Combine(CheckpointPath, "transformer", "config.json"), """{"_class_name": "SanaTransformer2DModel", "num_layers": 2""");
        // A safetensors header that promises 4096 bytes of JSON, cut off after a few.
        var weights = new byte[8 + 10];
        BitConverter.TryWriteBytes(weights.AsSpan(0, 8), 4096L);
        Encoding.ASCII.GetBytes("{\"a\":{\"dt").CopyTo(weights, 8);
        File.WriteAllBytes(Path.Combine(CheckpointPath, "transformer", "diffusion_pytorch_model.safetensors"), weights);

        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(
        [
            new("Inference:CheckpointPath", CheckpointPath),
            new("Inference:CacheDirectory", Path.Combine(_folder.Path, "cache")),
            new("Inference:Device", "cpu"),
            new("Persistence:DataDirectory", Path.Combine(_folder.Path, "data")),
            new("SchedulerOptions:Width", "64"),
            new("SchedulerOptions:Height", "64"),
        ]));
    }

    public Task InitializeAsync()
    {
        _ = Server;
        return Task.CompletedTask;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        _folder.Dispose();
    }
}

public sealed class DegradedStartTests(TruncatedCheckpointFixture app) : IClassFixture<TruncatedCheckpointFixture>
{
    [Fact]
    public async Task ATruncatedCheckpointStartsTheAppDegradedAndTellsRoomsWhy()
    {
        var generator = app.Services.GetRequiredService<IImageGenerator>();
        await LimitTests.WaitUntilAsync(() => Task.FromResult(generator.Info.UnavailableReason is { } r && !r.Contains("still loading", StringComparison.Ordinal)));
        Assert.False(generator.Info.IsAvailable);
        var reason = generator.Info.UnavailableReason!;
        Assert.Contains("truncated-checkpoint", reason, StringComparison.Ordinal);

        var health = await app.CreateClient().GetAsync("/healthz");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());

        var connection = TestHubConnection.For(app.Server)
            .AddMessagePackProtocol()
            .Build();
        await using var client = new SketchClient(connection);
        await connection.StartAsync();
        var roomId = await connection.InvokeAsync<string>("CreateRoom");
        var snapshot = await client.JoinAsync(roomId, "tester");
        Assert.False(snapshot.Model.IsAvailable);
        Assert.Equal(reason, snapshot.Model.UnavailableReason);
        await client.DrawAsync("s", [new StrokePoint(5, 5, 0.5f)]); // strokes still work
        var failure = await client.WaitForAsync<FrameFailedMessage>();
        Assert.True(failure.Unavailable);
        Assert.Equal($"Frames unavailable: {reason}", failure.Message);
    }
}

public sealed class FaultTests(PersistentHubFixture app) : IClassFixture<PersistentHubFixture>
{
    [Fact]
    public async Task AModelFaultInOneRoomIsAnErrorThereWhileAnotherRoomKeepsGettingFrames()
    {
        var (_, broken) = await app.RoomWithClientsAsync(1, prompt: $"a cat {FakeImageGenerator.FaultMarker}");
        var (_, healthy) = await app.RoomWithClientsAsync(1, prompt: "a dog");
        for (var i = 0; i < 5; i++)
        {
            await broken[0].DrawAsync($"b{i}", [new StrokePoint(i, i, 0.5f)]);
            var revision = await healthy[0].DrawAsync($"h{i}", [new StrokePoint(i, i, 0.5f)]);
            await healthy[0].WaitForAsync<FrameMessage>(f => f.Revision == revision);
        }
        var failure = await broken[0].WaitForAsync<FrameFailedMessage>();
        Assert.False(failure.Unavailable);
        Assert.Contains("Injected fault", failure.Message, StringComparison.Ordinal);
        Assert.Empty(broken[0].All<FrameMessage>());
        Assert.Empty(healthy[0].All<FrameFailedMessage>());
        Assert.All(healthy[0].All<FrameMessage>(), f => Assert.Equal("a dog", f.Prompt));
    }

    [Fact]
    public async Task ClientsThatVanishMidFrameFreeTheirPlacesAndCostTheOthersNothing()
    {
        app.Generator.Delay = TimeSpan.FromMilliseconds(150);
        try
        {
            var (roomId, c) = await app.RoomWithClientsAsync(3);
            await c[1].Connection.InvokeAsync<long>("BeginStroke", "half", "#000000", 2f);
            await c[2].Connection.InvokeAsync<long>("AppendPoints", "x", new[] { new StrokePoint(1, 1, 0.5f) }).ContinueWith(_ => 0L);
            var revision = await c[0].DrawAsync("mine", [new StrokePoint(3, 3, 0.5f)]);
            // Two members drop while the frame for that revision is being rendered.
            await c[1].DisposeAsync();
            await c[2].DisposeAsync();
            var frame = await c[0].WaitForAsync<FrameMessage>(f => f.Revision >= revision);
            Assert.NotNull(frame);
            var presence = await c[0].WaitForAsync<PresenceMessage>(p => p.Participants.Count == 1);
            Assert.Equal(c[0].Snapshot!.ParticipantId, presence.Participants.Single().Id);
            // Their places are free again, and the room goes on.
            await using var newcomer = await app.ConnectAsync();
            await newcomer.JoinAsync(roomId, "newcomer");
            await using var another = await app.ConnectAsync();
            await another.JoinAsync(roomId, "another");
            var next = await c[0].DrawAsync("more", [new StrokePoint(4, 4, 0.5f)]);
            await c[0].WaitForAsync<FrameMessage>(f => f.Revision == next);
        }
        finally
        {
            app.Generator.Delay = TimeSpan.FromMilliseconds(60);
        }
    }

    [Fact]
    public async Task StrokesAndFramesStayInTheirRoom()
    {
        var (roomA, a) = await app.RoomWithClientsAsync(2, prompt: "room a");
        var (roomB, b) = await app.RoomWithClientsAsync(2, prompt: "room b");
        var ra = await a[0].DrawAsync("only-a", [new StrokePoint(1, 1, 0.5f)]);
        var rb = await b[0].DrawAsync("only-b", [new StrokePoint(2, 2, 0.5f)]);
        await a[1].WaitForAsync<FrameMessage>(f => f.Revision == ra);
        await b[1].WaitForAsync<FrameMessage>(f => f.Revision == rb);
        Assert.Equal(["only-a"], app.Rooms.GetSnapshot(roomA, a[0].Snapshot!.Model).Strokes.Select(s => s.Id));
        Assert.Equal(["only-b"], app.Rooms.GetSnapshot(roomB, b[0].Snapshot!.Model).Strokes.Select(s => s.Id));
        Assert.All(a[1].All<StrokeBegunMessage>(), m => Assert.Equal("only-a", m.StrokeId));
        Assert.All(b[1].All<StrokeBegunMessage>(), m => Assert.Equal("only-b", m.StrokeId));
        Assert.All(a.SelectMany(x => x.All<FrameMessage>()), f => Assert.Equal("room a", f.Prompt));
        Assert.All(b.SelectMany(x => x.All<FrameMessage>()), f => Assert.Equal("room b", f.Prompt));
    }

    [Fact]
    public async Task HealthzCoversModelAndDatabaseAndMetricsArePrometheusText()
    {
        var http = app.CreateClient();
        Assert.Equal("Healthy", await http.GetStringAsync("/healthz"));

        var (_, c) = await app.RoomWithClientsAsync(1);
        var revision = await c[0].DrawAsync("m", [new StrokePoint(1, 1, 0.5f)]);
        await c[0].WaitForAsync<FrameMessage>(f => f.Revision == revision);
        await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => c[0].Connection.InvokeAsync<long>("EndStroke", "no-such-stroke"));

        string metrics = "";
        await LimitTests.WaitUntilAsync(async () =>
        {
            metrics = await http.GetStringAsync("/metrics");
            return metrics.Contains("sanasprint_hub_errors", StringComparison.Ordinal);
        });
        Assert.Contains("sanasprint_frame_stage_duration", metrics, StringComparison.Ordinal);
        Assert.Contains("stage=\"model\"", metrics, StringComparison.Ordinal);
        Assert.Contains("sanasprint_frame_batch_size", metrics, StringComparison.Ordinal);
        Assert.Contains("sanasprint_rooms", metrics, StringComparison.Ordinal);
        Assert.Contains("sanasprint_connections", metrics, StringComparison.Ordinal);
        Assert.Contains("sanasprint_frames_skipped", metrics, StringComparison.Ordinal);
        Assert.Contains("method=\"EndStroke\"", metrics, StringComparison.Ordinal);
        Assert.Contains("sanasprint_managed_memory_bytes", metrics, StringComparison.Ordinal);
        Assert.Contains("sanasprint_managed_memory_live_bytes", metrics, StringComparison.Ordinal);
        Assert.Contains("sanasprint_managed_memory_live_gc", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLiveMemoryGaugeCountsWhatSurvivedTheLastFullGcAndNotGarbage()
    {
        var whileHeld = LiveBytesWhileHolding(Size);
        // The array is garbage now (its only reference died with the helper's frame); the gauge still reads the last full
        // GC until the next one runs.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var afterRelease = SanaSprintMetrics.LiveBytesAfterLastFullGc();

        Assert.True(whileHeld >= Size, $"live {whileHeld} B while holding {Size} B");
        Assert.True(whileHeld - afterRelease >= Size / 2, $"live {whileHeld} B → {afterRelease} B after releasing {Size} B");
    }

    /// <summary>256 MiB dwarfs whatever the tests running beside this one hold.</summary>
    private const long Size = 256L << 20;

    // Its own frame, so that no JIT-extended local keeps the array alive after it returns.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long LiveBytesWhileHolding(long size)
    {
        var held = new byte[size];
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var live = SanaSprintMetrics.LiveBytesAfterLastFullGc();
        GC.KeepAlive(held);
        return live;
    }
}
