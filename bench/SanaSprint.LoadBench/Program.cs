// Load bench: N simulated SignalR clients drawing in M rooms against the web app with its REAL image pipeline (the
// configured checkpoint, or the embedded demo checkpoint), in process over the test server's WebSockets (no network).
//
//   dotnet run -c Release --project bench/SanaSprint.LoadBench -- --rooms 8 --clients 2 --seconds 30 \
//       [--set SchedulerOptions:Width=256] [--set Inference:Device=cpu] ...
//
// Each client draws strokes continuously (a point batch every 33 ms — `--interval-ms` — and a new stroke every 30 batches) and remembers when it
// sent each revision. Reported: frames/s, stroke-to-frame latency (send of a revision → arrival of its frame) p50/p95,
// model time and its share, latency minus model time, and per room the most model runs it waited between two frames.
// Each frame's latency is split into (a) waiting while the model ran other runs (an older revision's run in flight, a
// pre-empted run winding down, other rooms' runs: the frame's WaitMs), (b) its own model run, per stage, and (c) server
// overhead, everything else: hub receive, scheduling, rasterising, encoding, broadcast, client receive. The client and
// the server share one Stopwatch (same process).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SanaSprint.Web;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Tests.Shared;

namespace SanaSprint.LoadBench
{
    /// <summary>Entry point.</summary>
    internal static class Bench
    {
#if DEBUG
        private const string Build = "Debug build";
#else
        private const string Build = "Release build";
#endif

        public static async Task<int> Main(string[] args)
        {
            // WebApplicationFactory finds the app's content root through MvcTestingAppManifest.json in the working directory.
            Directory.SetCurrentDirectory(AppContext.BaseDirectory);
            var rooms = IntArg("--rooms", 1);
            var clientsPerRoom = IntArg("--clients", 2);
            var seconds = IntArg("--seconds", 20);
            var warmupSeconds = IntArg("--warmup", 3);
            // Time between a client's point batches: 33 ms (30 Hz, as the browser sends) keeps a model busy whose run takes longer;
            // a longer interval shows the latency of a revision that finds the model idle.
            var intervalMs = IntArg("--interval-ms", 33);
            var settings = args.Select((a, i) => (a, i)).Where(x => x.a == "--set" && x.i + 1 < args.Length)
                .Select(x => args[x.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => (string?)kv[1]);

            // --targets URL,URL… drives running nodes over the network; --cluster web=W,gpu=G,double-ms=N starts a local
            // cluster (and a single-mode node for the same workload in the same run) first. See RemoteBench.
            if (RemoteBench.Wanted(args)) return await RemoteBench.RunAsync(args, rooms, clientsPerRoom, seconds, warmupSeconds, intervalMs, settings);

            // --model-double-ms N swaps the model for a fixed-delay double, to measure the server's own overhead in isolation;
            // its report says so in its first line. Without it the real pipeline runs.
            var doubleMs = IntArg("--model-double-ms", -1);
            await using var app = new BenchApp(settings, doubleMs >= 0 ? TimeSpan.FromMilliseconds(doubleMs) : null);
            using var http = app.CreateClient(); // starts the host
            var generator = app.Recorder;
            Console.WriteLine("Loading the model…");
            var loadClock = Stopwatch.StartNew();
            if (doubleMs < 0) await app.Services.GetRequiredService<SanaSprintPipeline>().LoadAsync();
            if (!generator.Info.IsAvailable)
            {
                Console.WriteLine($"Model unavailable: {generator.Info.UnavailableReason}");
                return 1;
            }
            var info = generator.Info;
            Console.WriteLine($"Model '{info.ModelName}' on {info.Provider} (demo: {info.IsDemo}), loaded in {loadClock.Elapsed.TotalSeconds:F1} s");

            var roomDirectory = app.Services.GetRequiredService<IRoomDirectory>();
            var clients = await BenchClient.OpenRoomsAsync(rooms, clientsPerRoom, intervalMs,
                _ => roomDirectory.CreateRoomAsync().AsTask(), (_, _) => app.Connect());
            (int Gen0, int Gen1, int Gen2, TimeSpan Pause, long Bytes) gcBefore = default, gcAfter = default;
            static (int, int, int, TimeSpan, long) Gc() => (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
            var (measureFrom, measureTo) = await BenchClient.DriveAsync(clients, warmupSeconds, seconds, () => gcBefore = Gc(), () => gcAfter = Gc());

            // Report.
            var samples = clients.SelectMany(c => c.Samples).ToList();
            var frames = clients.Where(c => c.ClientIndex == 0).Sum(c => c.FramesInWindow);
            var window = Stopwatch.GetElapsedTime(measureFrom, measureTo).TotalSeconds;
            var runs = generator.Runs.Where(run => run.Started >= measureFrom && run.Started <= measureTo).ToList();
            Console.WriteLine();
            if (doubleMs >= 0) Console.WriteLine($"MODEL DOUBLE: a fixed {doubleMs} ms per run stands in for the model (server overhead only)");
            Console.WriteLine($"## Load bench: {rooms} room(s) × {clientsPerRoom} client(s), a point batch every {intervalMs} ms per client, {window:F1} s measured after {warmupSeconds} s warm-up");
            var scheduler = app.Services.GetRequiredService<IOptions<SchedulerOptions>>().Value;
            Console.WriteLine($"model {info.ModelName} ({info.Provider}{(info.IsDemo ? ", demo checkpoint" : "")}), frame {scheduler.Width}x{scheduler.Height}, batch ≤ {scheduler.BatchSize}, " +
                              $"pre-emption {(scheduler.Preemption ? "on" : "off")}, {(Debugger.IsAttached ? "debugger, " : "")}{Build}, processors {Environment.ProcessorCount}");
            var cancelled = runs.Count(r => r.Cancelled);
            Console.WriteLine($"- frames/s (all rooms): {frames / window:F2}  ({frames} frames; {runs.Count} model runs, {cancelled} of them pre-empted, mean batch {(runs.Count > 0 ? runs.Average(r => r.Rooms.Count) : 0):F2}, model busy {runs.Sum(r => r.Duration.TotalSeconds) / window:P0})");
            Console.WriteLine($"- stroke-to-frame latency ms: p50 {P(samples.Select(s => s.LatencyMs), 50):F1}, p95 {P(samples.Select(s => s.LatencyMs), 95):F1}  ({samples.Count} samples)");
            Console.WriteLine($"- model time ms:             p50 {P(samples.Select(s => s.ModelMs), 50):F1}, p95 {P(samples.Select(s => s.ModelMs), 95):F1}; model share of latency {samples.Sum(s => s.ModelMs) / Math.Max(1e-9, samples.Sum(s => s.LatencyMs)):P0}");
            Console.WriteLine($"- latency − model ms:        p50 {P(samples.Select(s => s.LatencyMs - s.ModelMs), 50):F1}, p95 {P(samples.Select(s => s.LatencyMs - s.ModelMs), 95):F1}");
            Console.WriteLine($"  of which revision age at model start (queue) p50 {P(samples.Select(s => s.QueueMs), 50):F1}, p95 {P(samples.Select(s => s.QueueMs), 95):F1}; " +
                              $"after the model (encode + send + receive) p50 {P(samples.Select(s => s.LatencyMs - s.ModelMs - s.QueueMs), 50):F1}, p95 {P(samples.Select(s => s.LatencyMs - s.ModelMs - s.QueueMs), 95):F1}");
            Console.WriteLine($"  server work per frame: rasterise p50 {P(samples.Select(s => s.RasterMs), 50):F1} / p95 {P(samples.Select(s => s.RasterMs), 95):F1}, encode p50 {P(samples.Select(s => s.EncodeMs), 50):F1} / p95 {P(samples.Select(s => s.EncodeMs), 95):F1}");
            Console.WriteLine("- decomposition of each frame's latency, ms (p50 / p95 / mean):");
            Console.WriteLine($"  (a) waiting while the model ran other runs     {Stats(samples.Select(s => s.WaitMs))}");
            Console.WriteLine($"  (b) its own model run                          {Stats(samples.Select(s => s.ModelMs))}");
            Console.WriteLine($"      text {Stats(samples.Select(s => s.TextMs))} | prepare (sketch encode) {Stats(samples.Select(s => s.PrepareMs))}");
            Console.WriteLine($"      steps {Stats(samples.Select(s => s.StepsMs))} | decode {Stats(samples.Select(s => s.DecodeMs))}");
            Console.WriteLine($"  (c) server overhead = latency − (a) − (b)      {Stats(samples.Select(s => s.LatencyMs - s.WaitMs - s.ModelMs))}");
            Console.WriteLine($"      before the model besides (a): hub → scheduler → rasterise {Stats(samples.Select(s => s.QueueMs - s.WaitMs))}");
            Console.WriteLine($"      after the model: encode + broadcast            {Stats(samples.Select(s => s.ServerMs - s.QueueMs - s.ModelMs))}");
            Console.WriteLine($"      transit: client → hub method + frame → client {Stats(samples.Select(s => s.LatencyMs - s.ServerMs))}");
            var waits = Enumerable.Range(0, rooms).Select(r => MaxRunsWaited(runs, $"bench room {r}:")).ToList();
            Console.WriteLine($"- most model runs a room waited between two of its frames: {waits.Max()} (per room: {string.Join(", ", waits)})");
            Console.WriteLine($"- hub errors: {clients.Sum(c => c.Errors)}, frame failures: {clients.Sum(c => c.Failures)}");
            Console.WriteLine($"- GC in the window (server and bench clients share the process): {(gcAfter.Bytes - gcBefore.Bytes) / window / 1e6:F1} MB/s allocated, " +
                              $"collections gen0/1/2 {gcAfter.Gen0 - gcBefore.Gen0}/{gcAfter.Gen1 - gcBefore.Gen1}/{gcAfter.Gen2 - gcBefore.Gen2}, paused {(gcAfter.Pause - gcBefore.Pause).TotalMilliseconds:F0} ms " +
                              $"({(gcAfter.Pause - gcBefore.Pause).TotalSeconds / window:P1} of the time), {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC");
            foreach (var c in clients) await c.DisposeAsync();
            return 0;

                int IntArg(string name, int fallback)
            {
                var i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
            }

            static string Stats(IEnumerable<double> values) => BenchStats.Stats(values);

            static double P(IEnumerable<double> values, double percentile) => BenchStats.P(values, percentile);

            static int MaxRunsWaited(List<ModelRun> runs, string promptPrefix)
            {
                int worst = 0, since = 0;
                var seen = false;
                foreach (var run in runs)
                {
                    // A pre-empted run gives the room no frame: it counts as a run waited.
                    if (!run.Cancelled && run.Rooms.Any(p => p.StartsWith(promptPrefix, StringComparison.Ordinal))) { if (seen) worst = Math.Max(worst, since); seen = true; since = 0; }
                    else since++;
                }
                return worst;
            }
        }
    }

    /// <summary>The web app in process with its real pipeline, wrapped to record model runs.</summary>
    internal sealed class BenchApp(IReadOnlyDictionary<string, string?> settings, TimeSpan? modelDouble) : WebApplicationFactory<Program>
    {
        public RecordingGenerator Recorder => (RecordingGenerator)Services.GetRequiredService<IImageGenerator>();

        public string Setting(string key, string fallback) => settings.TryGetValue(key, out var v) && v is not null ? v : fallback;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings));
            builder.ConfigureTestServices(services =>
            {
                var real = services.Last(d => d.ServiceType == typeof(IImageGenerator));
                services.RemoveAll<IImageGenerator>();
                services.AddSingleton<IImageGenerator>(sp => new RecordingGenerator(modelDouble is { } delay
                    ? new DelayGenerator(delay)
                    : real.ImplementationFactory?.Invoke(sp) as IImageGenerator ?? (IImageGenerator)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!)));
            });
        }

        public HubConnection Connect()
        {
            var server = Server;
            return new HubConnectionBuilder()
                .WithUrl(new Uri(server.BaseAddress, SketchHub.Path), o =>
                {
                    o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                    o.SkipNegotiation = true;
                    o.WebSocketFactory = async (context, ct) => await server.CreateWebSocketClient().ConnectAsync(context.Uri, ct);
                })
                .AddMessagePackProtocol()
                .Build();
        }
    }

    internal sealed record ModelRun(long Started, TimeSpan Duration, IReadOnlyList<string> Rooms, bool Cancelled);

    /// <summary>Passes every call to the real generator and records when it ran and for which prompts.</summary>
    internal sealed class RecordingGenerator(IImageGenerator inner) : IImageGenerator
    {
        private readonly ConcurrentQueue<ModelRun> _runs = new();
        public GeneratorInfo Info => inner.Info;
        public IReadOnlyList<ModelRun> Runs => [.. _runs];

        public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
        {
            var started = Stopwatch.GetTimestamp();
            var cancelled = false;
            try
            {
                return await inner.GenerateAsync(requests, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled = true;
                throw;
            }
            finally
            {
                _runs.Enqueue(new ModelRun(started, Stopwatch.GetElapsedTime(started), [.. requests.Select(r => r.Prompt)], cancelled));
            }
        }
    }

    internal sealed record Sample(double LatencyMs, double ModelMs, double QueueMs, double RasterMs, double EncodeMs, double WaitMs, double ServerMs,
        double TextMs, double PrepareMs, double StepsMs, double DecodeMs);

    /// <summary>One simulated user: draws continuously and times each of its revisions until their frame arrives.</summary>
    internal sealed class BenchClient(HubConnection connection, string roomId, int roomIndex, int clientIndex, int intervalMs) : IAsyncDisposable
    {
        private readonly HubConnection _connection = connection;
        private readonly ConcurrentDictionary<long, long> _sentAt = new();
        private readonly ConcurrentDictionary<long, (long ArrivedAt, FrameMessage Frame)> _early = new();
        private readonly ConcurrentQueue<Sample> _samples = new();
        private int _frames, _errors, _failures;

        public int ClientIndex => clientIndex;
        public long MeasureFrom { get; set; }
        public IReadOnlyList<Sample> Samples => [.. _samples];
        public int FramesInWindow => _frames;
        public int Errors => _errors;
        public int Failures => _failures;

        public async Task StartAsync()
        {
            _connection.On<FrameMessage>(nameof(ISketchClient.Frame), OnFrame);
            _connection.On<ErrorMessage>(nameof(ISketchClient.Error), _ => Interlocked.Increment(ref _errors));
            _connection.On<FrameFailedMessage>(nameof(ISketchClient.FrameFailed), _ => Interlocked.Increment(ref _failures));
            await _connection.StartAsync();
            await _connection.InvokeAsync<RoomSnapshot>("JoinRoom", roomId, $"bench {roomIndex}-{clientIndex}");
        }

        public Task SetPromptAsync(string prompt) => _connection.InvokeAsync<long>("SetPrompt", prompt);

        public async Task DrawAsync(CancellationToken ct)
        {
            var random = new Random(roomIndex * 1000 + clientIndex);
            var stroke = 0;
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    var id = $"c{clientIndex}-{stroke++}";
                    float x = random.Next(50, 950), y = random.Next(50, 950);
                    await Timed(() => _connection.InvokeAsync<long>("BeginStroke", id, "#202020", 6f, ct));
                    for (var batch = 0; batch < 30 && !ct.IsCancellationRequested; batch++)
                    {
                        var points = new StrokePoint[4];
                        for (var i = 0; i < points.Length; i++)
                        {
                            x = Math.Clamp(x + random.Next(-8, 9), 0, 1024);
                            y = Math.Clamp(y + random.Next(-8, 9), 0, 1024);
                            points[i] = new StrokePoint(x, y, 0.5f);
                        }
                        await Timed(() => _connection.InvokeAsync<long>("AppendPoints", id, points, ct));
                        await Task.Delay(intervalMs, ct);
                    }
                    await Timed(() => _connection.InvokeAsync<long>("EndStroke", id, ct));
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task Timed(Func<Task<long>> call)
        {
            var sent = Stopwatch.GetTimestamp();
            var revision = await call();
            _sentAt[revision] = sent;
            if (_early.TryRemove(revision, out var early)) Record(sent, early.ArrivedAt, early.Frame);
        }

        private void OnFrame(FrameMessage frame)
        {
            var arrived = Stopwatch.GetTimestamp();
            if (arrived >= MeasureFrom && !frame.IsRefinement) Interlocked.Increment(ref _frames);
            if (frame.IsRefinement) return;
            if (_sentAt.TryRemove(frame.Revision, out var sent)) Record(sent, arrived, frame);
            else _early[frame.Revision] = (arrived, frame); // the frame beat the invocation's reply, or another client's revision
        }

        private void Record(long sent, long arrived, FrameMessage frame)
        {
            if (sent < MeasureFrom) return;
            var t = frame.Timings;
            _samples.Enqueue(new Sample(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds, t.ModelMs, t.QueueMs, t.RasterMs, t.EncodeMs, t.WaitMs, t.ServerMs,
                t.TextMs, t.ControlEncodeMs, t.StepsMs.Sum(), t.DecodeMs));
        }

        public async ValueTask DisposeAsync() => await _connection.DisposeAsync();

        /// <summary>Creates the rooms and joins their clients (the last client of each room sets its prompt).</summary>
        /// <param name="rooms">How many rooms.</param>
        /// <param name="clientsPerRoom">Clients per room.</param>
        /// <param name="intervalMs">Time between a client's point batches.</param>
        /// <param name="createRoom">Creates room r and returns its id.</param>
        /// <param name="connect">The connection of client c of room r.</param>
        public static async Task<List<BenchClient>> OpenRoomsAsync(int rooms, int clientsPerRoom, int intervalMs, Func<int, Task<string>> createRoom,
            Func<int, int, HubConnection> connect)
        {
            var clients = new List<BenchClient>();
            for (var r = 0; r < rooms; r++)
            {
                var roomId = await createRoom(r);
                for (var c = 0; c < clientsPerRoom; c++)
                {
                    var client = new BenchClient(connect(r, c), roomId, r, c, intervalMs);
                    await client.StartAsync();
                    clients.Add(client);
                }
                await clients[^1].SetPromptAsync($"bench room {r}: a lighthouse on a cliff, watercolour");
            }
            return clients;
        }

        /// <summary>Draws with every client through a warm-up and a measured window, then stops them.</summary>
        /// <param name="clients">The clients.</param>
        /// <param name="warmupSeconds">Drawing before the window.</param>
        /// <param name="seconds">The window's length.</param>
        /// <param name="windowStarts">Called when the measured window starts.</param>
        /// <param name="windowEnds">Called when it ends, before the clients stop.</param>
        /// <returns>The window's start and end timestamps.</returns>
        public static async Task<(long From, long To)> DriveAsync(IReadOnlyList<BenchClient> clients, int warmupSeconds, int seconds,
            Action? windowStarts = null, Action? windowEnds = null)
        {
            using var stop = new CancellationTokenSource();
            var measureFrom = Stopwatch.GetTimestamp() + (long)(warmupSeconds * Stopwatch.Frequency);
            foreach (var c in clients) c.MeasureFrom = measureFrom;
            var drawing = clients.Select(c => c.DrawAsync(stop.Token)).ToList();
            await Task.Delay(TimeSpan.FromSeconds(warmupSeconds));
            windowStarts?.Invoke();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var measureTo = Stopwatch.GetTimestamp();
            windowEnds?.Invoke();
            await stop.CancelAsync();
            await Task.WhenAll(drawing);
            return (measureFrom, measureTo);
        }
    }
}
