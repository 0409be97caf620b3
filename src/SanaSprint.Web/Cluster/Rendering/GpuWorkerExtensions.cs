using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Extensions;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Observability;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>Registers the GPU role of a clustered process: renderers, their placement, the warm-up before joining, health.</summary>
public static class GpuWorkerExtensions
{
    /// <summary>The name of the GPU worker's health check (in <c>/healthz</c>).</summary>
    public const string HealthCheckName = "gpu-worker";

    /// <summary>
    /// Renderer placement by load (<see cref="RendererPlacement"/>), needed on every silo of a cluster (web, gpu and all), as
    /// the silo that first calls a renderer places it. Binds <see cref="GpuOptions"/> (<c>Gpu</c>, validated at start).
    /// </summary>
    /// <param name="services">The silo's services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddRendererPlacement(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(RendererPlacementDirector))) return services;
        services.AddOptions<GpuOptions>().BindConfiguration(GpuOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RendererPlacementDirector>();
        services.AddPlacementDirector<RendererPlacement>(sp => sp.GetRequiredService<RendererPlacementDirector>());
        return services;
    }

    /// <summary>
    /// The GPU role (<c>Deployment:Mode</c> gpu or all), after <c>AddApplicationServices</c>: the frame scheduler's rooms
    /// become the renderers of this silo (<see cref="ClusterRenderSource"/>, reaching rooms through
    /// <see cref="IRoomFeedLocator"/>, by default the room grains), renderer placement (<see cref="AddRendererPlacement"/>),
    /// frames handed to the rooms only (never straight to this node's connections: the room sends them to every web node),
    /// the model warm before the silo joins the cluster (an Orleans silo lifecycle stage ahead of the runtime's), and the
    /// <see cref="HealthCheckName"/> health check (healthy once warm and an active member). In gpu mode the host starts its
    /// services concurrently, so <c>/healthz</c> answers (unhealthy) while the model warms instead of refusing connections.
    /// A cluster mode without <c>Deployment:Redis</c> adds nothing (no silo starts; the deployment's validation names the key).
    /// </summary>
    /// <param name="builder">The host builder (its <c>Deployment</c> section names the mode).</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddGpuWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var deployment = builder.Configuration.GetSection(DeploymentOptions.SectionName).Get<DeploymentOptions>();
        // A cluster mode without Redis starts no silo (the deployment's validation stops the start, naming the key): the
        // renderers' services, which need the silo's, are not added either.
        if (deployment is { Clustered: true } && string.IsNullOrWhiteSpace(deployment.Redis)) return builder;
        var services = builder.Services;
        services.AddRendererPlacement();
        services.TryAddSingleton<IRoomFeedLocator, GrainRoomFeedLocator>();
        services.AddSingleton<ClusterRenderSource>();
        services.Replace(ServiceDescriptor.Singleton<IRenderSource>(sp => sp.GetRequiredService<ClusterRenderSource>()));
        // Frames reach members only through their room, which sends them to every web node (this one too, in all mode);
        // the scheduler's delivery gets outboxes of its own that no connection enters, so nobody gets a frame twice.
        services.Replace(ServiceDescriptor.Singleton(sp => ActivatorUtilities.CreateInstance<FrameDelivery>(sp, ActivatorUtilities.CreateInstance<ConnectionOutboxes>(sp))));
        services.AddSingleton<GpuWarmupGate>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<GpuWarmupGate>());
        services.AddHealthChecks().AddCheck<GpuWorkerHealthCheck>(HealthCheckName);
        if (deployment?.Mode == DeploymentMode.Gpu) services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        return builder;
    }

    /// <summary>A GPU node's only endpoints: <c>/healthz</c> and <c>/metrics</c> (no pages, no hub).</summary>
    /// <param name="app">The app.</param>
    /// <returns>The same app.</returns>
    public static WebApplication MapGpuWorkerEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapDefaultEndpoints();
        app.MapSanaSprintMetrics();
        return app;
    }
}
