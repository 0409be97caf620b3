using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SanaSprint.Cluster.Tests;

/// <summary>A tiny HTTP server standing in for a web node: answers <c>/healthz</c> and says its name on <c>/who</c>.</summary>
internal sealed class EchoNode : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoNode(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<EchoNode> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/healthz", () => "Healthy");
        app.MapGet("/who", () => name);
        await app.StartAsync();
        return new EchoNode(app, app.Urls.First());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
