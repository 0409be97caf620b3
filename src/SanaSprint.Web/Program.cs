using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Extensions;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Components;
using SanaSprint.Web.Extensions;
using SanaSprint.Web.Observability;
using SanaSprint.Web.Persistence;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Security;

var builder = WebApplication.CreateBuilder(ServiceDefaults.CreateOptions(args));

builder.AddServiceDefaults();
builder.AddSanaSprintPersistence();
var deployment = builder.AddSanaSprintDeployment(); // after persistence: a cluster node's Redis stores replace the SQLite ones
if (deployment.Renders) builder.AddSanaSprintInference();
builder.AddSanaSprintDemo();
builder.AddSanaSprintObservability();
builder.AddApplicationServices();
if (deployment.Clustered && deployment.Renders) builder.AddGpuWorker(); // renderers feed this process's frame scheduler

var app = builder.Build();

if (deployment.Mode == DeploymentMode.Gpu)
{
    // A GPU node serves health and metrics only: no pages, no hub.
    app.MapGpuWorkerEndpoints();
    app.Run();
    return;
}

app.UseSecurityHeaders();
app.UseStaticFiles();
app.UseAntiforgery();
app.UseRateLimiter();
app.UseOwnerCookie();

app.MapDefaultEndpoints();
app.MapSanaSprintMetrics();
app.MapStaticAssets();
app.MapSketchHub();
app.MapRoomCreation();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
