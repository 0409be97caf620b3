using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using SanaSprint.Inference;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Extensions;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Observability;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// A GPU node's host (<c>Deployment:Mode=gpu</c>) with a real silo: while its model loads it answers <c>/healthz</c> as
/// unhealthy and has not joined the cluster; it serves only <c>/healthz</c> and <c>/metrics</c> (no pages, no hub), whose
/// metrics include the renderers on this GPU; and a
/// model that cannot load stops the node with the reason instead of letting it join.
/// </summary>
public sealed class GpuModeHostingTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task WhileTheModelLoadsTheNodeAnswersOnlyHealthAndMetricsUnhealthyAndUnjoinedAndAFailedLoadStopsIt()
    {
        using var loading = new ManualResetEventSlim();
        var pipeline = new SanaSprintPipeline(new InferenceOptions(), () =>
        {
            loading.Wait();
            throw new GeneratorUnavailableException("the test checkpoint is missing");
        });
        var builder = WebApplication.CreateBuilder(ServiceDefaults.CreateOptions([]));
        builder.WebHost.UseTestServer();
        // A Redis is named (a cluster mode needs one) but never reached: this host starts its own localhost-clustered silo.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Deployment:Mode"] = "gpu", ["Deployment:Redis"] = "unused:1" });
        builder.AddServiceDefaults();
        builder.AddSanaSprintObservability();
        builder.AddApplicationServices();
        builder.Services.AddSingleton<IImageGenerator>(pipeline);
        var (siloPort, gatewayPort) = (FreePort(), FreePort());
        builder.UseOrleans(silo => silo
            .UseLocalhostClustering(siloPort, gatewayPort, serviceId: "gpu-hosting-test", clusterId: "gpu-hosting-test")
            .Configure<SiloOptions>(o => o.SiloName = "gpu-hosting-test"));
        builder.AddGpuWorker();
        var app = builder.Build();
        app.MapGpuWorkerEndpoints();
        var started = app.StartAsync();
        try
        {
            var client = app.GetTestClient();
            HttpResponseMessage? health = null;
            await GpuClusterFixture.Until(async () =>
            {
                try
                {
                    health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
                    return true;
                }
                catch (InvalidOperationException)
                {
                    return false; // the server has not started yet
                }
            }, "the GPU node's server answers");
            var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            var status = app.Services.GetRequiredService<ISiloStatusOracle>().CurrentStatus;
            var paths = new[] { "/", "/metrics", SketchHub.Path + "/negotiate", "/_blazor/negotiate" };
            var answers = new List<HttpStatusCode>();
            foreach (var path in paths) answers.Add((await client.PostOrGetAsync(path)).StatusCode);
            var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, health!.StatusCode);
            Assert.Contains("Warming", report.Entries[GpuWorkerExtensions.HealthCheckName].Description);
            Assert.NotEqual(SiloStatus.Active, status);
            Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.NotFound], answers);
            Assert.Contains("sanasprint_renderers", metrics);

            loading.Set();
            var failed = await Assert.ThrowsAnyAsync<Exception>(() => started);
            Assert.Contains("the test checkpoint is missing", failed.ToString());
        }
        finally
        {
            loading.Set();
            await app.DisposeAsync();
        }
    }
}

/// <summary>Requests for the hosting test.</summary>
internal static class HostingRequests
{
    /// <summary>POST for hub negotiation paths, GET otherwise.</summary>
    public static Task<HttpResponseMessage> PostOrGetAsync(this HttpClient client, string path) =>
        path.EndsWith("/negotiate", StringComparison.Ordinal)
            ? client.PostAsync(new Uri(path, UriKind.Relative), null)
            : client.GetAsync(new Uri(path, UriKind.Relative));
}
