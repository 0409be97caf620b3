using System.Diagnostics;

namespace SanaSprint.LocalCluster;

/// <summary>
/// One child process of the local cluster (a node or redis-server): started with its output in a log file, killed with its
/// process tree on dispose.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private NodeProcess(string name, string? url, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        Url = url;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    /// <summary>The node's name (<c>web-1</c>, <c>gpu-2</c>, <c>redis</c>).</summary>
    public string Name { get; }

    /// <summary>The node's HTTP address, or null (redis).</summary>
    public string? Url { get; }

    /// <summary>Where its standard output and error go.</summary>
    public string LogPath { get; }

    /// <summary>Its process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>True once it exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts a process.</summary>
    /// <param name="name">Its name in logs.</param>
    /// <param name="url">Its HTTP address, if it has one.</param>
    /// <param name="fileName">The executable.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="logDirectory">Where its log file goes.</param>
    /// <param name="workingDirectory">Its working directory.</param>
    /// <returns>The running process.</returns>
    public static NodeProcess Start(string name, string? url, string fileName, IEnumerable<string> arguments, string logDirectory, string workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var logPath = Path.Combine(logDirectory, name + ".log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        if (!process.Start()) throw new InvalidOperationException($"{name}: {fileName} did not start.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new NodeProcess(name, url, process, log, logPath);
    }

    /// <summary>Waits until <c>GET {Url}/healthz</c> answers 200, the process exits, or the timeout passes.</summary>
    /// <param name="http">The client to ask with.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="InvalidOperationException">It exited or did not become healthy in time (the message names its log).</exception>
    public async Task WaitHealthyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (Url is null) throw new InvalidOperationException($"{Name} has no HTTP address.");
        var deadline = Stopwatch.StartNew();
        string last = "no answer";
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was healthy; see {LogPath}.");
            try
            {
                using var response = await http.GetAsync(new Uri(new Uri(Url), "/healthz"), cancellationToken);
                if (response.IsSuccessStatusCode) return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
        throw new InvalidOperationException($"{Name} was not healthy after {timeout.TotalSeconds:0} s (last answer: {last}); see {LogPath}.");
    }

    /// <summary>Kills it at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            // reported by the caller's log; nothing more to do for a process that ignores SIGKILL
        }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // output after dispose
            }
        }
    }
}
