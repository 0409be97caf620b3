using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.LocalCluster;
using SanaSprint.Web.Hubs;

namespace SanaSprint.LoadBench;

/// <summary>
/// The load bench against running nodes over the network:
/// <list type="bullet">
/// <item><c>--targets http://a,http://b</c>: a room's clients are spread over the targets (client c of a room on target c mod n);</item>
/// <item><c>--cluster web=W,gpu=G,double-ms=N</c>: starts a local cluster of test nodes (tests/SanaSprint.ClusterNode, the
/// model swapped for an N ms double) and targets its web nodes; first, the same workload runs against one single-mode node
/// started the same way, so the report gives the distributed path's added latency from the same run.</item>
/// </list>
/// Latency is from a client's call to the frame's arrival at that client; the frame's timings (measured on the node that
/// rendered it) split it into queue (revision age at model start: hub, room, renderer pull, scheduler, rasterise), model,
/// after the model (encode and hand-over) and transit (the rest: hub call in, frame out through the web node).
/// </summary>
internal static class RemoteBench
{
    public static bool Wanted(string[] args) => args.Contains("--targets") || args.Contains("--cluster");

    public static async Task<int> RunAsync(string[] args, int rooms, int clientsPerRoom, int seconds, int warmupSeconds, int intervalMs,
        IReadOnlyDictionary<string, string?> settings)
    {
        var targets = Arg(args, "--targets")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (targets is { Length: > 0 })
        {
            var result = await MeasureAsync("targets", targets, rooms, clientsPerRoom, seconds, warmupSeconds, intervalMs);
            Print(result);
            return result.Errors == 0 ? 0 : 1;
        }

        var cluster = ParseCluster(Arg(args, "--cluster") ?? "");
        var node = TestNodeAssembly();
        var common = settings.Where(kv => kv.Value is not null).Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value!)).ToList();
        Console.WriteLine($"test node: {node}; model double {cluster.DoubleMs} ms");

        // The same workload against one single-mode node, then against the cluster, in this run.
        Result single;
        await using (var one = await StartSingleAsync(node, cluster.DoubleMs, common))
            single = await MeasureAsync("single", [one.Url!], rooms, clientsPerRoom, seconds, warmupSeconds, intervalMs);
        Print(single);

        var options = new LocalClusterOptions { Web = cluster.Web, Gpu = cluster.Gpu, Port = 0, NodeAssembly = node, ClusterId = $"bench-{Environment.ProcessId}" };
        options.NodeArguments.AddRange(["--model-double-ms", cluster.DoubleMs.ToString(CultureInfo.InvariantCulture)]);
        options.Settings.AddRange(common);
        Result distributed;
        await using (var running = await LocalClusterRunner.StartAsync(options, line => Console.WriteLine($"  {line}")))
            distributed = await MeasureAsync($"cluster web={cluster.Web},gpu={cluster.Gpu}", [.. running.WebNodes.Select(n => n.Url!)], rooms, clientsPerRoom,
                seconds, warmupSeconds, intervalMs);
        Print(distributed);

        Console.WriteLine();
        Console.WriteLine($"## Added latency of the distributed path (cluster − single, same run): " +
                          $"p50 {distributed.P(50) - single.P(50):+0.0;-0.0} ms, p95 {distributed.P(95) - single.P(95):+0.0;-0.0} ms; " +
                          $"frames/s {single.FramesPerSecond:F2} → {distributed.FramesPerSecond:F2}");
        return single.Errors + distributed.Errors == 0 ? 0 : 1;
    }

    private static async Task<NodeProcess> StartSingleAsync(string node, int doubleMs, IReadOnlyList<KeyValuePair<string, string>> settings)
    {
        var data = Path.Combine(Path.GetTempPath(), $"sanasprint-bench-single-{Environment.ProcessId}");
        Directory.CreateDirectory(data);
        var url = $"http://127.0.0.1:{LocalClusterRunner.FreePort()}";
        var process = NodeProcess.Start("single", url, "dotnet",
            [node, "--model-double-ms", doubleMs.ToString(CultureInfo.InvariantCulture), "--urls", url, $"--Persistence:DataDirectory={data}",
             .. settings.Select(s => $"--{s.Key}={s.Value}")], data, Path.GetDirectoryName(node)!);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await process.WaitHealthyAsync(http, TimeSpan.FromMinutes(2), CancellationToken.None);
        return process;
    }

    private static async Task<Result> MeasureAsync(string name, IReadOnlyList<string> targets, int rooms, int clientsPerRoom, int seconds, int warmupSeconds,
        int intervalMs)
    {
        var clients = await BenchClient.OpenRoomsAsync(rooms, clientsPerRoom, intervalMs, async r =>
        {
            await using var creator = Connect(targets[r % targets.Count]);
            await creator.StartAsync();
            return await creator.InvokeAsync<string>("CreateRoom");
        }, (r, c) => Connect(targets[(r + c) % targets.Count]));
        var (measureFrom, measureTo) = await BenchClient.DriveAsync(clients, warmupSeconds, seconds);
        var window = Stopwatch.GetElapsedTime(measureFrom, measureTo).TotalSeconds;
        var result = new Result(name, rooms, clientsPerRoom, intervalMs, window, [.. clients.SelectMany(c => c.Samples)],
            clients.Where(c => c.ClientIndex == 0).Sum(c => c.FramesInWindow), clients.Sum(c => c.Errors), clients.Sum(c => c.Failures));
        foreach (var c in clients) await c.DisposeAsync();
        return result;
    }

    private static HubConnection Connect(string target) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(new Uri(target), SketchHub.Path), o => o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets)
            .AddMessagePackProtocol()
            .Build();

    private static void Print(Result r)
    {
        var s = r.Samples;
        Console.WriteLine();
        Console.WriteLine($"## {r.Name}: {r.Rooms} room(s) × {r.Clients} client(s), a point batch every {r.IntervalMs} ms, {r.Window:F1} s measured");
        Console.WriteLine($"- frames/s (all rooms): {r.FramesPerSecond:F2} ({r.Frames} frames)");
        Console.WriteLine($"- stroke-to-frame latency ms: p50 {r.P(50):F1}, p95 {r.P(95):F1} ({s.Count} samples)");
        Console.WriteLine("- per hop, ms (p50 / p95 / mean):");
        Console.WriteLine($"  queue: hub → room → renderer → scheduler → rasterise {BenchStats.Stats(s.Select(x => x.QueueMs))}");
        Console.WriteLine($"  model (double or real)                                {BenchStats.Stats(s.Select(x => x.ModelMs))}");
        Console.WriteLine($"  after the model: encode + hand-over                   {BenchStats.Stats(s.Select(x => x.ServerMs - x.QueueMs - x.ModelMs))}");
        Console.WriteLine($"  transit: hub call in + frame out via the web node     {BenchStats.Stats(s.Select(x => x.LatencyMs - x.ServerMs))}");
        Console.WriteLine($"  latency − model                                       {BenchStats.Stats(s.Select(x => x.LatencyMs - x.ModelMs))}");
        Console.WriteLine($"- hub errors: {r.Errors}, frame failures: {r.Failures}");
    }

    private static (int Web, int Gpu, int DoubleMs) ParseCluster(string spec)
    {
        int web = 2, gpu = 1, doubleMs = 50;
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2);
            var value = kv.Length == 2 && int.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                : throw new ArgumentException($"--cluster takes web=W,gpu=G,double-ms=N; '{part}' is not that.");
            switch (kv[0])
            {
                case "web": web = value; break;
                case "gpu": gpu = value; break;
                case "double-ms": doubleMs = value; break;
                default: throw new ArgumentException($"--cluster: unknown key '{kv[0]}' (web, gpu, double-ms).");
            }
        }
        return (web, gpu, doubleMs);
    }

    private static string TestNodeAssembly()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "SanaSprint.sln"))) continue;
            foreach (var configuration in new[] { "Release", "Debug" })
            {
                var candidate = Path.Combine(dir.FullName, "tests", "SanaSprint.ClusterNode", "bin", configuration, "net10.0", "SanaSprint.ClusterNode.dll");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException("The test node is not built: run `dotnet build tests/SanaSprint.ClusterNode -c Release`.");
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private sealed record Result(string Name, int Rooms, int Clients, int IntervalMs, double Window, IReadOnlyList<Sample> Samples, int Frames, int Errors, int Failures)
    {
        public double FramesPerSecond => Frames / Window;

        public double P(double percentile) => BenchStats.P(Samples.Select(s => s.LatencyMs), percentile);
    }
}
