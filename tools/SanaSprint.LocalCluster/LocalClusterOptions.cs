using System.Globalization;

namespace SanaSprint.LocalCluster;

/// <summary>What to start: the command line of <c>dotnet run --project tools/SanaSprint.LocalCluster -- …</c>.</summary>
public sealed class LocalClusterOptions
{
    /// <summary>Web processes (Kestrel, Blazor, the sketch hub, room grains).</summary>
    public int Web { get; set; } = 2;

    /// <summary>GPU processes (renderers; one per device, <c>Inference:DeviceId</c> 0, 1, …).</summary>
    public int Gpu { get; set; } = 1;

    /// <summary>The load balancer's port on 127.0.0.1 (0: a free one).</summary>
    public int Port { get; set; } = 5000;

    /// <summary>An existing Redis (StackExchange.Redis configuration string); null: use localhost:6379 if it answers, else start redis-server.</summary>
    public string? Redis { get; set; }

    /// <summary>The Orleans cluster id (and Redis key prefix) of this deployment.</summary>
    public string ClusterId { get; set; } = "localcluster";

    /// <summary>Where node data (SQLite, logs) and a started redis-server's files go; null: a new folder under the temp folder.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The node binary (default: SanaSprint.Web.dll of this repository's build, built when missing).</summary>
    public string? NodeAssembly { get; set; }

    /// <summary>Settings passed to every node as <c>--Key=Value</c>.</summary>
    public List<KeyValuePair<string, string>> Settings { get; } = [];

    /// <summary>Arguments passed to every node before its settings (e.g. a test node's own options).</summary>
    public List<string> NodeArguments { get; } = [];

    /// <summary>Settings passed to GPU nodes only.</summary>
    public List<KeyValuePair<string, string>> GpuSettings { get; } = [];

    /// <summary>How long a node may take to answer <c>/healthz</c> (a GPU node warms its model first).</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The usage text.</summary>
    public const string Usage = """
        Usage: dotnet run --project tools/SanaSprint.LocalCluster -- [options]
          --web N              web processes (default 2)
          --gpu M              gpu processes (default 1; Inference:DeviceId 0..M-1)
          --port P             load balancer port on 127.0.0.1 (default 5000; 0 = any free port)
          --redis HOST:PORT    use this Redis (default: localhost:6379 if it answers, else start redis-server)
          --cluster-id ID      Orleans cluster id and Redis key prefix (default localcluster)
          --data DIR           node data and logs (default: a new temp folder)
          --node PATH          the node binary (default: src/SanaSprint.Web's build output)
          --set KEY=VALUE      a setting for every node (repeatable), e.g. --set SchedulerOptions:Width=256
          --gpu-set KEY=VALUE  a setting for gpu nodes only (repeatable)
        Ctrl+C stops every process it started.
        """;

    /// <summary>Parses a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException">An unknown option or a bad value, with a sentence naming it.</exception>
    public static LocalClusterOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new LocalClusterOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--web": options.Web = Count(name, Value(), 1); break;
                case "--gpu": options.Gpu = Count(name, Value(), 0); break;
                case "--port": options.Port = ParsePort(name, Value()); break;
                case "--redis": options.Redis = Value(); break;
                case "--cluster-id": options.ClusterId = Value(); break;
                case "--data": options.DataDirectory = Value(); break;
                case "--node": options.NodeAssembly = Value(); break;
                case "--set": options.Settings.Add(Setting(name, Value())); break;
                case "--gpu-set": options.GpuSettings.Add(Setting(name, Value())); break;
                default: throw new ArgumentException($"unknown option {name}.");
            }
        }
        return options;
    }

    private static int Count(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= 64
            ? n : throw new ArgumentException($"{name} must be a whole number from {min} to 64, not '{value}'.");

    private static int ParsePort(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 65535
            ? n : throw new ArgumentException($"{name} must be a port from 0 to 65535, not '{value}'.");

    private static KeyValuePair<string, string> Setting(string name, string value)
    {
        var eq = value.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 ? new(value[..eq], value[(eq + 1)..]) : throw new ArgumentException($"{name} takes KEY=VALUE, not '{value}'.");
    }
}
