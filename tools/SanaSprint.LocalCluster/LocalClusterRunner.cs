using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace SanaSprint.LocalCluster;

/// <summary>
/// A running local cluster: Redis (found or started), the gpu and web node processes, and the load balancer. Disposing it
/// stops everything it started.
/// </summary>
public sealed class LocalClusterRunner : IAsyncDisposable
{
    private readonly List<NodeProcess> _processes = [];
    private WebApplication? _proxy;

    private LocalClusterRunner(LocalClusterOptions options, string dataDirectory)
    {
        Options = options;
        DataDirectory = dataDirectory;
    }

    /// <summary>What was started.</summary>
    public LocalClusterOptions Options { get; }

    /// <summary>Where node data and logs are.</summary>
    public string DataDirectory { get; }

    /// <summary>The Redis every node uses.</summary>
    public string Redis { get; private set; } = "";

    /// <summary>The load balancer's address.</summary>
    public string Url { get; private set; } = "";

    /// <summary>The web nodes.</summary>
    public IReadOnlyList<NodeProcess> WebNodes => [.. _processes.Where(p => p.Name.StartsWith("web-", StringComparison.Ordinal))];

    /// <summary>The gpu nodes.</summary>
    public IReadOnlyList<NodeProcess> GpuNodes => [.. _processes.Where(p => p.Name.StartsWith("gpu-", StringComparison.Ordinal))];

    /// <summary>Starts a cluster and waits until every node answers <c>/healthz</c>.</summary>
    /// <param name="options">What to start.</param>
    /// <param name="progress">Told what is happening (one line each).</param>
    /// <param name="cancellationToken">Stops the start (everything started is stopped).</param>
    /// <returns>The running cluster.</returns>
    public static async Task<LocalClusterRunner> StartAsync(LocalClusterOptions options, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        progress ??= _ => { };
        var data = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), $"sanasprint-cluster-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(data);
        var runner = new LocalClusterRunner(options, data);
        try
        {
            await runner.StartCoreAsync(progress, cancellationToken);
            return runner;
        }
        catch
        {
            await runner.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more node of a role (for failover drills and benches), waits until it is healthy, and returns it.</summary>
    /// <param name="role">"web" or "gpu".</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The node.</returns>
    public async Task<NodeProcess> AddNodeAsync(string role, CancellationToken cancellationToken = default)
    {
        var index = _processes.Count(p => p.Name.StartsWith(role + "-", StringComparison.Ordinal)) + 1;
        var node = StartNode(role, index, NodeAssembly());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await node.WaitHealthyAsync(http, Options.StartTimeout, cancellationToken);
        return node;
    }

    private async Task StartCoreAsync(Action<string> progress, CancellationToken cancellationToken)
    {
        Redis = Options.Redis ?? (await PingAsync("127.0.0.1", 6379, cancellationToken) ? "127.0.0.1:6379" : await StartRedisAsync(progress, cancellationToken));
        progress($"redis: {Redis}");
        var node = NodeAssembly();
        progress($"nodes: dotnet {node}");
        for (var i = 1; i <= Options.Gpu; i++) StartNode("gpu", i, node);
        for (var i = 1; i <= Options.Web; i++) StartNode("web", i, node);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var process in _processes.Where(p => p.Url is not null))
        {
            await process.WaitHealthyAsync(http, Options.StartTimeout, cancellationToken);
            progress($"{process.Name}: healthy at {process.Url} (pid {process.ProcessId}, log {process.LogPath})");
        }
        _proxy = LoadBalancer.Build(Options.Port, [.. WebNodes.Select(n => n.Url!)]);
        await _proxy.StartAsync(cancellationToken);
        Url = _proxy.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        progress($"load balancer: {Url} (cookie affinity, health checks on /healthz)");
    }

    private NodeProcess StartNode(string role, int index, string nodeAssembly)
    {
        var name = $"{role}-{index}";
        var url = $"http://127.0.0.1:{FreePort()}";
        var nodeData = Path.Combine(DataDirectory, name);
        Directory.CreateDirectory(nodeData);
        List<string> args =
        [
            nodeAssembly,
            "--urls", url,
            $"--Deployment:Mode={role}",
            $"--Deployment:Redis={Redis}",
            $"--Deployment:ClusterId={Options.ClusterId}",
            $"--Deployment:SiloPort={FreePort()}",
            $"--Deployment:GatewayPort={FreePort()}",
            "--Deployment:AdvertisedAddress=127.0.0.1",
            $"--Persistence:DataDirectory={nodeData}",
        ];
        args.AddRange(Options.NodeArguments);
        if (role == "gpu") args.Add($"--Inference:DeviceId={index - 1}");
        var settings = role == "gpu" ? Options.Settings.Concat(Options.GpuSettings) : Options.Settings;
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        var process = NodeProcess.Start(name, url, "dotnet", args, DataDirectory, Path.GetDirectoryName(nodeAssembly)!);
        _processes.Add(process);
        return process;
    }

    private string NodeAssembly()
    {
        if (Options.NodeAssembly is { } given)
            return File.Exists(given) ? Path.GetFullPath(given) : throw new FileNotFoundException($"--node: {given} does not exist.", given);
        var root = RepoRoot() ?? throw new InvalidOperationException("Cannot find the repository (SanaSprint.sln) above this tool; pass --node PATH to SanaSprint.Web.dll.");
        foreach (var configuration in new[] { ThisConfiguration, "Release", "Debug" })
        {
            var candidate = Path.Combine(root, "src", "SanaSprint.Web", "bin", configuration, "net10.0", "SanaSprint.Web.dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("SanaSprint.Web is not built: run `dotnet build src/SanaSprint.Web` (or pass --node PATH).");
    }

#if DEBUG
    private const string ThisConfiguration = "Debug";
#else
    private const string ThisConfiguration = "Release";
#endif

    private static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SanaSprint.sln"))) return dir.FullName;
        return null;
    }

    private async Task<string> StartRedisAsync(Action<string> progress, CancellationToken cancellationToken)
    {
        var server = FindOnPath("redis-server") ?? throw new InvalidOperationException(
            "No Redis answers on localhost:6379 and redis-server is not installed: install it (`apt-get install redis-server`) or pass --redis HOST:PORT.");
        var port = FreePort();
        var dir = Path.Combine(DataDirectory, "redis");
        Directory.CreateDirectory(dir);
        _processes.Add(NodeProcess.Start("redis", null, server,
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""],
            DataDirectory, dir));
        progress($"redis: started {server} on port {port}");
        var watch = Stopwatch.StartNew();
        while (!await PingAsync("127.0.0.1", port, cancellationToken))
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException($"redis-server did not answer on port {port}; see {Path.Combine(DataDirectory, "redis.log")}.");
            await Task.Delay(100, cancellationToken);
        }
        return $"127.0.0.1:{port}";
    }

    /// <summary>True when a Redis server answers PING at the address.</summary>
    internal static async Task<bool> PingAsync(string host, int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(host, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>A TCP port free on loopback now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.StopAsync();
            await _proxy.DisposeAsync();
        }
        // Nodes first, Redis last, so nodes do not log a storm of connection errors while stopping.
        foreach (var process in _processes.OrderBy(p => p.Name == "redis" ? 1 : 0)) await process.DisposeAsync();
        _processes.Clear();
    }
}
