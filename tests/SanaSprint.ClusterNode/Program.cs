// A SanaSprint.Web node for multi-process tests and benches:
//
//   dotnet SanaSprint.ClusterNode.dll [--model-double-ms N] --urls http://127.0.0.1:P --Deployment:Mode=gpu ...
//
// takes the product's command line unchanged (every --Key=Value is configuration, as for SanaSprint.Web.dll) and, with
// --model-double-ms, swaps the image generator for a fixed-delay double. The app is built by the product's own Program
// (WebApplicationFactory runs its entry point) and served on Kestrel at --urls.
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Tests.Shared;

namespace SanaSprint.ClusterNode;

/// <summary>Entry point.</summary>
internal static class NodeMain
{
    public static async Task Main(string[] args)
    {
        var doubleAt = Array.IndexOf(args, "--model-double-ms");
        TimeSpan? delay = doubleAt >= 0 && doubleAt + 1 < args.Length && int.TryParse(args[doubleAt + 1], out var ms) && ms >= 0
            ? TimeSpan.FromMilliseconds(ms) : null;
        var appArgs = doubleAt >= 0 ? [.. args[..doubleAt], .. args[Math.Min(args.Length, doubleAt + 2)..]] : args;
        var urlsAt = Array.IndexOf(appArgs, "--urls");
        var url = urlsAt >= 0 && urlsAt + 1 < appArgs.Length ? new Uri(appArgs[urlsAt + 1]) : new Uri("http://127.0.0.1:5000");

        // WebApplicationFactory finds the app's content root through MvcTestingAppManifest.json in the working directory.
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

        await using var node = new NodeFactory(appArgs, delay);
        node.UseKestrel(url.Port);
        node.StartServer();
        Console.WriteLine($"test node listening on {url}{(delay is { } d ? $" (model double: {d.TotalMilliseconds:0} ms per run)" : "")}");
        await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}

/// <summary>The product's app with its command line as configuration and, optionally, the model double.</summary>
internal sealed class NodeFactory(string[] args, TimeSpan? modelDouble) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in Settings(args)) builder.UseSetting(key, value);
        if (modelDouble is { } delay)
        {
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<IImageGenerator>();
                services.AddSingleton<IImageGenerator>(new DelayGenerator(delay));
            });
        }
    }

    private static IEnumerable<(string Key, string Value)> Settings(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) continue;
            var body = args[i][2..];
            var eq = body.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) yield return (body[..eq], body[(eq + 1)..]);
            else if (i + 1 < args.Length) yield return (body, args[++i]);
        }
    }
}
