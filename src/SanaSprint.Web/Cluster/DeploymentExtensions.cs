using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using SanaSprint.Inference;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Cluster.Redis;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using StackExchange.Redis;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// How this process takes part in a deployment (<see cref="DeploymentOptions.Mode"/>): <c>single</c> registers nothing
/// beyond the validated options (no Orleans, no Redis); <c>web</c>, <c>gpu</c> and <c>all</c> start an Orleans silo that
/// joins the cluster through Redis, and add what the role hosts.
/// </summary>
public static class DeploymentExtensions
{
    /// <summary>
    /// Binds and validates <see cref="DeploymentOptions"/> and <see cref="GpuOptions"/> (at start: <c>Deployment:Redis</c> is
    /// required unless the mode is <c>single</c>) and, in a cluster mode, adds the silo and the role's services. Call it
    /// before <c>AddApplicationServices</c>, so that the role's room directory is the one registered.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The deployment as configured (for the rest of the start: whether this process renders).</returns>
    public static DeploymentOptions AddSanaSprintDeployment(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<DeploymentOptions>().BindConfiguration(DeploymentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeploymentOptions>, DeploymentValidation>();
        services.AddOptions<GpuOptions>().BindConfiguration(GpuOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        var deployment = builder.Configuration.GetSection(DeploymentOptions.SectionName).Get<DeploymentOptions>() ?? new DeploymentOptions();
        // Without Redis there is no cluster to join: the options' validation stops the start, naming the key.
        if (!deployment.Clustered || string.IsNullOrWhiteSpace(deployment.Redis)) return deployment;

        builder.UseOrleans(silo => ConfigureSilo(silo, deployment));
        // Every silo places renderers (the first caller of a renderer places it), so each knows the placement by load.
        services.AddRendererPlacement();
        services.AddClusterHealthChecks();
        switch (deployment.Mode)
        {
            case DeploymentMode.Web:
                services.AddRoomRole(deployment);
                // No model here: prompt limits from the checkpoint's tokenizer alone, the model's description from the GPU workers.
                services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName);
                services.TryAddSingleton<WebNodeModelInfo>();
                services.TryAddSingleton<IModelInfo>(sp => sp.GetRequiredService<WebNodeModelInfo>());
                services.AddHostedService<ModelDescriptionReader>();
                break;
            case DeploymentMode.All:
                services.AddRoomRole(deployment);
                services.AddRendererRole(deployment);
                break;
            case DeploymentMode.Gpu:
                services.AddRendererRole(deployment);
                break;
        }
        return deployment;
    }

    /// <summary>
    /// What a silo that hosts rooms needs besides the room store: the room grains' clock and renderer dispatch, and this node's
    /// <see cref="OrleansRoomDirectory"/> as the <see cref="IRoomDirectory"/>.
    /// </summary>
    /// <param name="services">The silo's services (a room store, <see cref="IClusterRoomStore"/>, and a <see cref="RoomEditor"/> registered too).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddRoomGrains(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddKeyedSingleton<TimeProvider>(RoomGrain.ClockKey, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.TryAddSingleton<IRendererDispatch, GrainRendererDispatch>();
        services.TryAddSingleton(sp => new OrleansRoomDirectory(sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<RoomEditor>(),
            sp.GetRequiredService<IClusterRoomStore>(), sp.GetRequiredService<ILocalSiloDetails>(), sp.GetService<IRoomEventSink>(),
            sp.GetService<ConnectionOutboxes>(), sp.GetService<ILogger<OrleansRoomDirectory>>()));
        services.TryAddSingleton<IRoomDirectory>(sp => sp.GetRequiredService<OrleansRoomDirectory>());
        return services;
    }

    /// <summary>A web (or all) node: the room store, gallery and key ring in Redis, room grains, the node's directory, the sketch hub's Redis backplane and protocols.</summary>
    private static void AddRoomRole(this IServiceCollection services, DeploymentOptions deployment)
    {
        services.AddRedisRoomStores();
        services.AddRoomGrains();
        services.AddHostedService<MembershipRenewal>();
        services.AddSingleton<IOutgoingGrainCallFilter, RoomCallRetryFilter>();
        // Only the sketch hub goes through Redis: Blazor's circuits stay on their node, so a Redis outage cannot break pages.
        services.AddSingleton<HubLifetimeManager<SketchHub>, RedisHubLifetimeManager<SketchHub>>();
        services.Configure<RedisOptions>(o =>
        {
            o.Configuration = ConfigurationOptions.Parse(deployment.Redis!);
            o.Configuration.ChannelPrefix = RedisChannel.Literal(deployment.ClusterId);
        });
        if (deployment.HubProtocol == "json")
            services.PostConfigure<HubOptions<SketchHub>>(o => o.SupportedProtocols = ["json"]);
        // A web-only node hosts no renderer: placement then puts every renderer on a silo that renders.
        if (!deployment.Renders) services.Configure<GrainTypeOptions>(o => o.Classes.RemoveWhere(typeof(IRendererGrain).IsAssignableFrom));
    }

    /// <summary>
    /// A gpu (or all) node: where the renderers' hosting plugs in (renderer grains, the cluster render source that feeds the
    /// frame scheduler, the model warm before the silo joins). A gpu-only node hosts no room grains (and a web-only node no
    /// renderer grains: <see cref="AddRoomRole"/>).
    /// </summary>
    private static void AddRendererRole(this IServiceCollection services, DeploymentOptions deployment)
    {
        services.AddRedisConnection();
        services.AddHostedService<ModelDescriptionPublisher>();
        if (deployment.HostsRooms) return;
        services.Configure<GrainTypeOptions>(o => o.Classes.RemoveWhere(typeof(IRoomGrain).IsAssignableFrom));
    }

    private static void ConfigureSilo(ISiloBuilder silo, DeploymentOptions deployment)
    {
        silo.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(deployment.Redis!));
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = deployment.ClusterId;
            o.ServiceId = deployment.ClusterId;
        });
        if (deployment.AdvertisedAddress is null)
            silo.ConfigureEndpoints(deployment.SiloPort, deployment.GatewayPort, AddressFamily.InterNetwork, listenOnAnyHostAddress: true);
        else if (IPAddress.TryParse(deployment.AdvertisedAddress, out var address))
            silo.ConfigureEndpoints(address, deployment.SiloPort, deployment.GatewayPort, listenOnAnyHostAddress: true);
        else
            silo.ConfigureEndpoints(deployment.AdvertisedAddress, deployment.SiloPort, deployment.GatewayPort, AddressFamily.InterNetwork, listenOnAnyHostAddress: true);
        silo.Configure<SiloOptions>(o => o.SiloName = ClusterRoles.SiloName(deployment.Mode, $"{Environment.MachineName}-{deployment.SiloPort}"));
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = deployment.ProbeTimeout;
            o.NumMissedProbesLimit = deployment.MissedProbesLimit;
        });
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = deployment.GrainCallTimeout);
        silo.Services.AddSerializer(s => s.AddReadOnlyCollections());
    }

    /// <summary><c>Deployment:Redis</c> is required unless the mode is single.</summary>
    private sealed class DeploymentValidation : IValidateOptions<DeploymentOptions>
    {
        public ValidateOptionsResult Validate(string? name, DeploymentOptions options) =>
            options.Clustered && string.IsNullOrWhiteSpace(options.Redis)
                ? ValidateOptionsResult.Fail($"`Deployment:Redis` is required when `Deployment:Mode` is {options.Mode.ToString().ToLowerInvariant()}: " +
                    "the StackExchange.Redis configuration string of the cluster's Redis (e.g. localhost:6379).")
                : ValidateOptionsResult.Success;
    }
}
