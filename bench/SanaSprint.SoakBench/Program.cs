// Soak bench: starts the web app as its own process (SQLite in a temp folder, the configured checkpoint or the
// demo one), connects N SignalR clients in rooms of K, lets every client draw through a warm-up and then the measured
// window, and reports hub errors, frame failures, frames/s and stroke-to-frame latency p50/p95 over the window, and the
// server's live managed memory at the window's start and end (and every minute): each reading induces a full blocking GC
// in the app through the .NET diagnostics port (as dotnet-gcdump does) and reads the app's own gauge of what survived it.
//
//   dotnet run --project bench/SanaSprint.SoakBench -- [--clients 50] [--per-room 5] [--warmup 300] [--seconds 600] [--set Section:Key=value]...
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Hubs;

var clients = Arg("--clients", 50);
var perRoom = Arg("--per-room", 5);
var seconds = Arg("--seconds", 600);
// Drawing before the measured window. The default covers what fills up by design under this load: every participant's
// undo history (RoomOptions.MaxUndoDepth actions, ~1 stroke/s each here) keeps the strokes its clears hid until they fall off.
var warmup = Arg("--warmup", 300);
if (seconds < 60 || warmup < 0)
{
    Console.Error.WriteLine("--seconds must be at least 60 (the window's end is read 30 s before it closes) and --warmup not negative.");
    return 2;
}
var settings = args.Select((a, i) => (a, i)).Where(x => x.a == "--set" && x.i + 1 < args.Length).Select(x => args[x.i + 1].Split('=', 2)).ToList();

var data = Directory.CreateTempSubdirectory("sanasprint-soak");
var port = FreePort();
var baseUri = new Uri($"http://127.0.0.1:{port}/");
var dll = Path.Combine(AppContext.BaseDirectory, "SanaSprint.Web.dll");
var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
info.ArgumentList.Add(dll);
info.ArgumentList.Add("--urls");
info.ArgumentList.Add(baseUri.ToString().TrimEnd('/'));
info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
info.Environment["Logging__LogLevel__Default"] = "Warning";
info.Environment["Persistence__DataDirectory"] = data.FullName;
info.Environment["HubLimits__InvocationsPerSecond"] = "1000";
foreach (var kv in settings) info.Environment[kv[0].Replace(":", "__", StringComparison.Ordinal)] = kv[1];
using var server = Process.Start(info)!;
server.OutputDataReceived += (_, e) => { if (e.Data is { } l) Console.Error.WriteLine($"[app] {l}"); };
server.ErrorDataReceived += (_, e) => { if (e.Data is { } l) Console.Error.WriteLine($"[app] {l}"); };
server.BeginOutputReadLine();
server.BeginErrorReadLine();
using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
try
{
    // Wait for the model: /healthz is Healthy once it loaded.
    var clock = Stopwatch.StartNew();
    while (true)
    {
        try
        {
            if (await http.GetStringAsync("/healthz") == "Healthy") break;
        }
        catch (HttpRequestException) { }
        catch (TaskCanceledException) { }
        if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("the app did not become healthy in 5 minutes (model not loaded?)");
        await Task.Delay(500);
    }
    Console.WriteLine($"App healthy after {clock.Elapsed.TotalSeconds:F1} s");

    var errors = 0;
    var failures = 0;
    var latencies = new ConcurrentBag<double>();
    var frames = 0;
    var sessions = new List<(HubConnection Connection, string Room, ConcurrentDictionary<long, long> Sent)>();
    string? room = null;
    for (var i = 0; i < clients; i++)
    {
        var connection = new HubConnectionBuilder().WithUrl(new Uri(baseUri, SketchHub.Path)).AddMessagePackProtocol().Build();
        var sent = new ConcurrentDictionary<long, long>();
        connection.On<ErrorMessage>("Error", _ => Interlocked.Increment(ref errors));
        connection.On<FrameFailedMessage>("FrameFailed", _ => Interlocked.Increment(ref failures));
        connection.On<FrameMessage>("Frame", f =>
        {
            Interlocked.Increment(ref frames);
            if (sent.TryRemove(f.Revision, out var at)) latencies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
        });
        await connection.StartAsync();
        if (i % perRoom == 0) room = await connection.InvokeAsync<string>("CreateRoom");
        await connection.InvokeAsync<RoomSnapshot>("JoinRoom", room, $"soak {i}");
        sessions.Add((connection, room!, sent));
    }
    var (memoryIdle, _) = await LiveMemoryFloorAsync(server.Id, http);
    Console.WriteLine($"{clients} clients in {(clients + perRoom - 1) / perRoom} rooms; server live managed memory before drawing {memoryIdle / 1e6:F1} MB; "
        + $"drawing for {warmup} s of warm-up, then {seconds} s measured…");
    var memoryStart = warmup == 0 ? memoryIdle : double.NaN;
    var memoryEnd = double.NaN;
    var framesAtStart = 0;

    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(warmup + seconds));
    var run = Stopwatch.StartNew();
    var series = Task.Run(async () =>
    {
        // A live-memory reading every minute, so that a plateau or a climb shows; the window's start is one of them.
        // The window's end is read while the clients still draw (30 s before they stop), under the same conditions as its start.
        var endMark = warmup + seconds - 30;
        var marks = Enumerable.Range(1, (warmup + seconds) / 60).Select(m => m * 60).Append(warmup).Append(endMark)
            .Where(t => t > 0 && t <= endMark).Distinct().Order();
        foreach (var t in marks)
        {
            var wait = TimeSpan.FromSeconds(t) - run.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var (live, most) = await LiveMemoryFloorAsync(server.Id, http);
            Console.WriteLine($"  t = {run.Elapsed.TotalSeconds:F0} s: live managed memory {live / 1e6:F1} MB (most of 10 readings {most / 1e6:F1} MB; "
                + $"heap incl. garbage {await ManagedMemoryAsync(http) / 1e6:F1} MB)");
            if (t == endMark) memoryEnd = live;
            if (t != warmup) continue;
            memoryStart = live;
            framesAtStart = Volatile.Read(ref frames);
            latencies.Clear();
        }
    });
    var drawing = sessions.Select((s, index) => Task.Run(async () =>
    {
        var rng = new Random(index);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            try
            {
                var id = $"c{index}-{n}";
                await s.Connection.InvokeAsync<long>("BeginStroke", id, "#203040", 4f);
                for (var b = 0; b < 10 && !stop.IsCancellationRequested; b++)
                {
                    var points = Enumerable.Range(0, 4).Select(_ => new StrokePoint(rng.NextSingle() * 1024, rng.NextSingle() * 1024, 0.5f)).ToArray();
                    var revision = await s.Connection.InvokeAsync<long>("AppendPoints", id, points);
                    s.Sent[revision] = Stopwatch.GetTimestamp();
                    await Task.Delay(100);
                }
                await s.Connection.InvokeAsync<long>("EndStroke", id);
                // Keep each room's canvas bounded: clear now and then.
                if (n % 20 == 19) await s.Connection.InvokeAsync<long>("Clear");
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref errors);
            }
            catch (Exception)
            {
                // stopping
            }
            // Revisions superseded by latest-wins never get a frame; forget old ones.
            foreach (var old in s.Sent.Where(kv => Stopwatch.GetElapsedTime(kv.Value) > TimeSpan.FromSeconds(30)).Select(kv => kv.Key).ToList()) s.Sent.TryRemove(old, out _);
        }
    })).ToList();
    await Task.WhenAll(drawing);
    var elapsed = run.Elapsed.TotalSeconds - warmup;
    await series;
    await Task.Delay(2000);
    var (memoryStopped, _) = await LiveMemoryFloorAsync(server.Id, http);
    var sorted = latencies.Order().ToList();
    double P(double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q / 100 * sorted.Count) - 1)];
    Console.WriteLine($"## Soak: {clients} clients, {(clients + perRoom - 1) / perRoom} rooms, {elapsed:F0} s measured after {warmup} s of warm-up");
    Console.WriteLine($"- hub errors: {errors}, frame failures: {failures} (warm-up included)");
    Console.WriteLine($"- frames received by all clients: {frames - framesAtStart}; room-frames/s (all rooms together): {(frames - framesAtStart) / (double)perRoom / elapsed:F2}");
    Console.WriteLine($"- stroke-to-frame latency ms (revisions that got their own frame): p50 {P(50):F0}, p95 {P(95):F0} ({sorted.Count} samples)");
    Console.WriteLine($"- server live managed memory MB (least of 10 readings over 20 s, each after an induced full GC): before drawing {memoryIdle / 1e6:F1}, start of the window {memoryStart / 1e6:F1}, "
        + $"end of the window {memoryEnd / 1e6:F1} (end vs start {(memoryEnd - memoryStart) / Math.Max(1, memoryStart):+0.0%;-0.0%}), after the clients stopped {memoryStopped / 1e6:F1}");
    foreach (var s in sessions) await s.Connection.DisposeAsync();
    return errors == 0 && failures == 0 ? 0 : 2;
}
finally
{
    if (!server.HasExited) server.Kill();
    try { data.Delete(recursive: true); } catch (IOException) { }
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

// What the app keeps: the least of several live readings two seconds apart. A single reading also counts whichever frame
// buffers the runs in flight hold at that instant (a batch of four 256² images is 3 MB per tensor; a refinement batch
// runs longer), which swings it by 10–20 MB; over 20 s at least one reading falls between runs' big buffers.
static async Task<(double Least, double Most)> LiveMemoryFloorAsync(int pid, HttpClient http, int readings = 10)
{
    var values = new List<double>();
    for (var i = 0; i < readings; i++)
    {
        if (i > 0) await Task.Delay(2000);
        values.Add(await LiveMemoryAsync(pid, http));
    }
    return (values.Min(), values.Max());
}

static async Task<double> ManagedMemoryAsync(HttpClient http) => await GaugeAsync(http, "sanasprint_managed_memory_bytes");

// Induces a full blocking GC in the app (an EventPipe session with the runtime's GCHeapCollect keyword, what dotnet-gcdump
// does) and returns the app's gauge of the bytes that survived it, once the gauge shows that collection.
static async Task<double> LiveMemoryAsync(int pid, HttpClient http)
{
    const long GcHeapCollectKeyword = 0x800000;
    var before = await GaugeAsync(http, "sanasprint_managed_memory_live_gc");
    var client = new DiagnosticsClient(pid);
    using (var session = client.StartEventPipeSession(
        [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcHeapCollectKeyword)], requestRundown: false))
    {
        var drain = session.EventStream.CopyToAsync(Stream.Null);
        var clock = Stopwatch.StartNew();
        double index;
        do
        {
            await Task.Delay(200);
            index = await GaugeAsync(http, "sanasprint_managed_memory_live_gc");
        }
        while (index == before && clock.Elapsed < TimeSpan.FromSeconds(10));
        await session.StopAsync(CancellationToken.None);
        await drain;
        if (index == before) throw new TimeoutException("the app showed no new full GC within 10 s of inducing one");
        var live = await GaugeAsync(http, "sanasprint_managed_memory_live_bytes");
        return live;
    }
}

static async Task<double> GaugeAsync(HttpClient http, string name)
{
    var text = await http.GetStringAsync("/metrics");
    var m = Regex.Match(text, "^" + name + @"(?:\{[^}]*\})? ([0-9.eE+]+)", RegexOptions.Multiline);
    return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
}
