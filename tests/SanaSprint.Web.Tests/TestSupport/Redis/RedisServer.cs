using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SanaSprint.Tests.Shared;

/// <summary>
/// A private <c>redis-server</c> for one test class or test: started on a free loopback port in a fresh temp folder
/// (nothing saved, no append-only file unless asked for), ready once it answers <c>PING</c>, stopped and deleted on
/// dispose. It can be killed with SIGKILL and started again on the same port and folder, for durability tests.
/// </summary>
/// <remarks>
/// Tests that need it carry <see cref="RedisFactAttribute"/> (or <see cref="RedisTheoryAttribute"/>,
/// <see cref="RedisInlineDataAttribute"/>): without the binary they report as skipped with the reason, unless
/// <c>SANASPRINT_REQUIRE_REDIS=1</c> (as CI sets), when <see cref="Start"/> fails saying the binary is missing.
/// Self-contained (this folder only), so other test projects can link it.
/// </remarks>
public sealed class RedisServer : IDisposable
{
    /// <summary>Environment variable that makes a missing <c>redis-server</c> a failure.</summary>
    public const string RequireVariable = "SANASPRINT_REQUIRE_REDIS";

    /// <summary>Environment variable that overrides <see cref="ExecutablePath"/>.</summary>
    public const string PathVariable = "SANASPRINT_REDIS_SERVER";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    private readonly string _folder;
    private Process? _process;
    private int _disposed;

    private RedisServer(bool appendOnly)
    {
        AppendOnly = appendOnly;
        _folder = Directory.CreateTempSubdirectory("sanasprint-redis-").FullName;
    }

    /// <summary>The binary: <c>SANASPRINT_REDIS_SERVER</c>, else Debian's <c>/usr/bin/redis-server</c>, else the first on <c>PATH</c>.</summary>
    public static string ExecutablePath
    {
        get
        {
            if (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path) return path;
            if (File.Exists("/usr/bin/redis-server")) return "/usr/bin/redis-server";
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, "redis-server");
                if (File.Exists(candidate)) return candidate;
            }
            return "/usr/bin/redis-server";
        }
    }

    /// <summary>True when the binary exists.</summary>
    public static bool IsInstalled => File.Exists(ExecutablePath);

    /// <summary>True when <c>SANASPRINT_REQUIRE_REDIS=1</c>.</summary>
    public static bool IsRequired => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>Why a test that needs Redis is skipped here, or null when it runs (the binary is there, or it is required).</summary>
    public static string? SkipReason => IsInstalled || IsRequired
        ? null
        : $"redis-server not found at {ExecutablePath} (apt-get install redis-server); set {RequireVariable}=1 to make this a failure.";

    /// <summary>The loopback port it listens on (kept across <see cref="Restart"/>).</summary>
    public int Port { get; private set; }

    /// <summary>Its working folder (the append-only file lives here; kept across <see cref="Restart"/>).</summary>
    public string DataDirectory => _folder;

    /// <summary>True when every write is appended to the append-only file (fsync always) before it is acknowledged.</summary>
    public bool AppendOnly { get; }

    /// <summary><c>127.0.0.1:port</c>, for a StackExchange.Redis configuration string.</summary>
    public string EndPoint => $"127.0.0.1:{Port}";

    /// <summary>A StackExchange.Redis configuration string for this server that keeps reconnecting while it is down.</summary>
    public string Configuration => $"{EndPoint},abortConnect=false,connectTimeout=2000,syncTimeout=5000,asyncTimeout=5000";

    /// <summary>True while the process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server on a free port and waits until it answers <c>PING</c>.</summary>
    /// <param name="appendOnly">Keep every acknowledged write in an append-only file (fsync always), so it survives SIGKILL.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException">The binary is missing, or the server did not come up (its log is in the message).</exception>
    public static RedisServer Start(bool appendOnly = false)
    {
        if (!IsInstalled)
            throw new InvalidOperationException($"redis-server not found at {ExecutablePath}: install it (apt-get install redis-server) or set {PathVariable}. " +
                $"Tests that need Redis fail instead of skipping because {RequireVariable}=1.");
        var server = new RedisServer(appendOnly);
        try
        {
            // Another process may take the free port between the probe and the bind: try a few ports.
            for (var attempt = 1; ; attempt++)
            {
                server.Port = FreePort();
                try
                {
                    server.Launch();
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 5 && server.LogText().Contains("Address already in use", StringComparison.Ordinal))
                {
                }
            }
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Kills the server with SIGKILL (no shutdown save, no goodbye to clients) and waits for it to exit.</summary>
    public void Kill()
    {
        if (_process is not { } process) return;
        if (!process.HasExited)
        {
            process.Kill(); // SIGKILL on Unix
            process.WaitForExit();
        }
        process.Dispose();
        _process = null;
    }

    /// <summary>Starts the server again on the same port and folder (after <see cref="Kill"/>) and waits until it answers <c>PING</c>,
    /// which with <see cref="AppendOnly"/> is after it has loaded the append-only file.</summary>
    /// <exception cref="InvalidOperationException">It did not come up (its log is in the message).</exception>
    public void Restart()
    {
        Kill();
        Launch();
    }

    /// <summary>Stops the server and deletes its folder.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Kill();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS temp cleaner.
        }
    }

    private void Launch()
    {
        var info = new ProcessStartInfo(ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            WorkingDirectory = _folder,
        };
        foreach (var arg in (string[])["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                     "--dir", _folder, "--logfile", LogPath, "--save", "", "--daemonize", "no", "--protected-mode", "yes",
                     "--appendonly", AppendOnly ? "yes" : "no", "--appendfsync", "always"])
        {
            info.ArgumentList.Add(arg);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyTimeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"redis-server on port {Port} exited with code {_process.ExitCode}; its log:\n{LogText()}");
            if (Pings()) return;
            Thread.Sleep(20);
        }
        Kill();
        throw new InvalidOperationException($"redis-server on port {Port} did not answer PING within {ReadyTimeout.TotalSeconds} s; its log:\n{LogText()}");
    }

    private string LogPath => Path.Combine(_folder, "redis.log");

    private string LogText()
    {
        try
        {
            return File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log)";
        }
        catch (IOException ex)
        {
            return $"(log unreadable: {ex.Message})";
        }
    }

    /// <summary>True when the server answers <c>PING</c> with <c>+PONG</c> (not <c>-LOADING</c> while it reads its file).</summary>
    private bool Pings()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            client.ReceiveTimeout = 1000;
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[64];
            var read = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
