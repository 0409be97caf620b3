using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SanaSprint.Web.Tests.Reliability;

/// <summary>
/// The web app as a separate OS process: <c>dotnet SanaSprint.Web.dll --urls http://127.0.0.1:PORT</c> from the Web project's
/// build output, configured through environment variables, with its output captured for failure messages.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private AppProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the app listens.</summary>
    public Uri BaseAddress { get; }

    /// <summary>What the app wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// The app's entry assembly: the Web project's own build output beside this test project's output (artifacts layout
    /// <c>bin/SanaSprint.Web/{config}/</c> or classic <c>src/SanaSprint.Web/bin/{Config}/{tfm}/</c>), else the copy in this
    /// test project's output.
    /// </summary>
    public static string LocateWebAssembly()
    {
        var here = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var leaf = Path.GetFileName(here);                                           // debug | net10.0
        var parent = Path.GetDirectoryName(here)!;
        List<string> candidates =
        [
            Path.Combine(Path.GetDirectoryName(parent)!, "SanaSprint.Web", leaf, "SanaSprint.Web.dll"),       // artifacts: bin/<project>/<config>
        ];
        var config = Path.GetFileName(parent);                                       // classic: bin/<Config>/<tfm>
        candidates.Add(Path.Combine(TestPaths.RepoRoot, "src", "SanaSprint.Web", "bin", config, leaf, "SanaSprint.Web.dll"));
        candidates.Add(Path.Combine(here, "SanaSprint.Web.dll"));
        return candidates.FirstOrDefault(c => File.Exists(c) && File.Exists(Path.ChangeExtension(c, ".runtimeconfig.json")))
            ?? throw new FileNotFoundException($"SanaSprint.Web.dll with its runtimeconfig was not found; looked at: {string.Join(", ", candidates)}. Build src/SanaSprint.Web first.");
    }

    /// <summary>Starts the app on a free local port and waits until <c>/healthz</c> answers.</summary>
    /// <param name="environment">Extra environment variables (configuration uses <c>Section__Key</c>).</param>
    /// <param name="timeout">How long to wait for the app to answer.</param>
    public static async Task<AppProcess> StartAsync(IReadOnlyDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        var dll = LocateWebAssembly();
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in environment) info.Environment[key] = value;

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var app = new AppProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"The app exited with {process.ExitCode} before answering:\n{app.Output}");
            try
            {
                var response = await http.GetAsync("/healthz");
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable) return app;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow to answer.
            }
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                await app.DisposeAsync();
                throw new TimeoutException($"The app did not answer /healthz within {deadline.Elapsed.TotalSeconds:F0} s:\n{app.Output}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Kills the process with SIGKILL (no shutdown hooks run) and waits for it to go.</summary>
    /// <returns>The exit code (137 = killed by signal 9).</returns>
    public async Task<int> KillAsync()
    {
        _process.Kill(entireProcessTree: false); // SIGKILL on Unix
        await _process.WaitForExitAsync();
        return _process.ExitCode;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
