// Load bench: N simulated SignalR clients drawing in M rooms against the web app with its REAL image pipeline (the
// configured checkpoint, or the embedded demo checkpoint), in process over the test server's WebSockets (no network).
//
//   dotnet run -c Release --project bench/SanaSprint.LoadBench -- --rooms 8 --clients 2 --seconds 30 \
//       [--set SchedulerOptions:Width=256] [--set Inference:Device=cpu] ...
//
// Each client draws strokes continuously (a point batch every 33 ms, a new stroke every second) and remembers when it
// sent each revision. Reported: frames/s, stroke-to-frame latency (send of a revision → arrival of its frame) p50/p95,
// model time and its share, latency minus model time, and per room the most model runs it waited between two frames.
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
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.LoadBench
{
    /// <summary>Entry point.</summary>
    internal static class Bench
    {
        public static async Task<int> Main(string[] args)
        {
            // WebApplicationFactory finds the app's content root through MvcTestingAppManifest.json in the working directory.
            Directory.SetCurrentDirectory(AppContext.BaseDirectory);
            var rooms = IntArg("--rooms", 1);
            var clientsPerRoom = IntArg("--clients", 2);
            var seconds = IntArg("--seconds", 20);
            var warmupSeconds = IntArg("--warmup", 3);
            var settings = args.Select((a, i) => (a, i)).Where(x => x.a == "--set" && x.i + 1 < args.Length)
                .Select(x => args[x.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => (string?)kv[1]);

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

            var roomService = app.Services.GetRequiredService<RoomService>();
            var clients = new List<BenchClient>();
            for (var r = 0; r < rooms; r++)
            {
                var roomId = roomService.CreateRoom();
                for (var c = 0; c < clientsPerRoom; c++)
                {
                    var client = new BenchClient(app, roomId, r, c);
                    await client.StartAsync();
                    clients.Add(client);
                }
                await clients[^1].SetPromptAsync($"bench room {r}: a lighthouse on a cliff, watercolour");
            }

            using var stop = new CancellationTokenSource();
            var measureFrom = Stopwatch.GetTimestamp() + (long)(warmupSeconds * Stopwatch.Frequency);
            foreach (var c in clients) c.MeasureFrom = measureFrom;
            var drawing = clients.Select(c => c.DrawAsync(stop.Token)).ToList();
            await Task.Delay(TimeSpan.FromSeconds(warmupSeconds + seconds));
            var measureTo = Stopwatch.GetTimestamp();
            stop.Cancel();
            await Task.WhenAll(drawing);

            // Report.
            var samples = clients.SelectMany(c => c.Samples).ToList();
            var frames = clients.Where(c => c.ClientIndex == 0).Sum(c => c.FramesInWindow);
            var window = Stopwatch.GetElapsedTime(measureFrom, measureTo).TotalSeconds;
            var runs = generator.Runs.Where(run => run.Started >= measureFrom && run.Started <= measureTo).ToList();
            Console.WriteLine();
            if (doubleMs >= 0) Console.WriteLine($"MODEL DOUBLE: a fixed {doubleMs} ms per run stands in for the model (server overhead only)");
            Console.WriteLine($"## Load bench: {rooms} room(s) × {clientsPerRoom} client(s), {window:F1} s measured after {warmupSeconds} s warm-up");
            Console.WriteLine($"model {info.ModelName} ({info.Provider}{(info.IsDemo ? ", demo checkpoint" : "")}), frame {app.Setting("SchedulerOptions:Width", "512")}x{app.Setting("SchedulerOptions:Height", "512")}, batch ≤ {app.Setting("SchedulerOptions:BatchSize", "4")}, processors {Environment.ProcessorCount}");
            Console.WriteLine($"- frames/s (all rooms): {frames / window:F2}  ({frames} frames; {runs.Count} model runs, mean batch {(runs.Count > 0 ? runs.Average(r => r.Rooms.Count) : 0):F2}, model busy {runs.Sum(r => r.Duration.TotalSeconds) / window:P0})");
            Console.WriteLine($"- stroke-to-frame latency ms: p50 {P(samples.Select(s => s.LatencyMs), 50):F1}, p95 {P(samples.Select(s => s.LatencyMs), 95):F1}  ({samples.Count} samples)");
            Console.WriteLine($"- model time ms:             p50 {P(samples.Select(s => s.ModelMs), 50):F1}, p95 {P(samples.Select(s => s.ModelMs), 95):F1}; model share of latency {samples.Sum(s => s.ModelMs) / Math.Max(1e-9, samples.Sum(s => s.LatencyMs)):P0}");
            Console.WriteLine($"- latency − model ms:        p50 {P(samples.Select(s => s.LatencyMs - s.ModelMs), 50):F1}, p95 {P(samples.Select(s => s.LatencyMs - s.ModelMs), 95):F1}");
            Console.WriteLine($"  of which revision age at model start (queue) p50 {P(samples.Select(s => s.QueueMs), 50):F1}, p95 {P(samples.Select(s => s.QueueMs), 95):F1}; " +
                              $"after the model (encode + send + receive) p50 {P(samples.Select(s => s.LatencyMs - s.ModelMs - s.QueueMs), 50):F1}, p95 {P(samples.Select(s => s.LatencyMs - s.ModelMs - s.QueueMs), 95):F1}");
            Console.WriteLine($"  server work per frame: rasterise p50 {P(samples.Select(s => s.RasterMs), 50):F1} / p95 {P(samples.Select(s => s.RasterMs), 95):F1}, encode p50 {P(samples.Select(s => s.EncodeMs), 50):F1} / p95 {P(samples.Select(s => s.EncodeMs), 95):F1}");
            var waits = Enumerable.Range(0, rooms).Select(r => MaxRunsWaited(runs, $"bench room {r}:")).ToList();
            Console.WriteLine($"- most model runs a room waited between two of its frames: {waits.Max()} (per room: {string.Join(", ", waits)})");
            Console.WriteLine($"- hub errors: {clients.Sum(c => c.Errors)}, frame failures: {clients.Sum(c => c.Failures)}");
            foreach (var c in clients) await c.DisposeAsync();
            return 0;

                int IntArg(string name, int fallback)
            {
                var i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
            }

            static double P(IEnumerable<double> values, double percentile)
            {
                var sorted = values.Order().ToArray();
                if (sorted.Length == 0) return double.NaN;
                var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
                return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
            }

            static int MaxRunsWaited(List<ModelRun> runs, string promptPrefix)
            {
                int worst = 0, since = 0;
                var seen = false;
                foreach (var run in runs)
                {
                    if (run.Rooms.Any(p => p.StartsWith(promptPrefix, StringComparison.Ordinal))) { if (seen) worst = Math.Max(worst, since); seen = true; since = 0; }
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

    internal sealed record ModelRun(long Started, TimeSpan Duration, IReadOnlyList<string> Rooms);

    /// <summary>Passes every call to the real generator and records when it ran and for which prompts.</summary>
    internal sealed class RecordingGenerator(IImageGenerator inner) : IImageGenerator
    {
        private readonly ConcurrentQueue<ModelRun> _runs = new();
        public GeneratorInfo Info => inner.Info;
        public IReadOnlyList<ModelRun> Runs => [.. _runs];

        public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return await inner.GenerateAsync(requests, cancellationToken);
            }
            finally
            {
                _runs.Enqueue(new ModelRun(started, Stopwatch.GetElapsedTime(started), [.. requests.Select(r => r.Prompt)]));
            }
        }
    }

    /// <summary>Stands in for the model with a fixed delay and grey images (only with --model-double-ms).</summary>
    internal sealed class DelayGenerator(TimeSpan delay) : IImageGenerator
    {
        public GeneratorInfo Info { get; } = new() { ModelName = "model double", SupportedModes = [GuidanceMode.Text, GuidanceMode.Img2Img, GuidanceMode.ControlNet] };

        public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
        {
            var started = Stopwatch.GetTimestamp();
            await Task.Delay(delay, cancellationToken);
            var total = Stopwatch.GetElapsedTime(started);
            return [.. requests.Select(r => new GenerationResult(new RgbImage(r.Width, r.Height, new byte[r.Width * r.Height * 3]), new StageTimings { Total = total }))];
        }
    }

    internal sealed record Sample(double LatencyMs, double ModelMs, double QueueMs, double RasterMs, double EncodeMs);

    /// <summary>One simulated user: draws continuously and times each of its revisions until their frame arrives.</summary>
    internal sealed class BenchClient(BenchApp app, string roomId, int roomIndex, int clientIndex) : IAsyncDisposable
    {
        private readonly HubConnection _connection = app.Connect();
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
                        await Task.Delay(33, ct);
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
            _samples.Enqueue(new Sample(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds, frame.Timings.ModelMs, frame.Timings.QueueMs, frame.Timings.RasterMs, frame.Timings.EncodeMs));
        }

        public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
    }
}
