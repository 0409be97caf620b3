using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization.TypeSystem;
using Orleans.TestingHost;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Scheduling;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// An in-process Orleans cluster (no Redis) of web silos (renderer placement only, like a web node) and GPU silos (the
/// GPU role of <see cref="GpuWorkerExtensions.AddGpuWorker"/> over today's frame scheduler, with
/// <see cref="GatedImageGenerator"/> as the model), whose renderers read fake rooms (<see cref="FakeRoomFeeds"/>, shared by
/// every silo). Silo names carry their role, as in a deployment.
/// </summary>
public abstract class GpuClusterFixture : IAsyncLifetime
{
    private static readonly string[] RendererType = [RuntimeTypeNameFormatter.Format(typeof(RendererGrain))];
    private readonly ConcurrentDictionary<string, string> _roles = new(StringComparer.Ordinal); // test silo name → role silo name
    private int _created;

    /// <summary>Web silos (the first ones started).</summary>
    protected abstract int WebSilos { get; }

    /// <summary>GPU silos.</summary>
    protected abstract int GpuSilos { get; }

    /// <summary>Each GPU's <c>Gpu:MaxRooms</c> (every silo's, as in a deployment).</summary>
    public abstract int MaxRooms { get; }

    /// <summary>The cluster.</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The rooms renderers read.</summary>
    public FakeRoomFeeds Feeds { get; } = new();

    /// <summary>Each GPU silo's model, by its silo name.</summary>
    public ConcurrentDictionary<string, GatedImageGenerator> Models { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder((short)(WebSilos + GpuSilos));
        builder.ConfigureSiloHost((silo, host) => ConfigureSilo(silo.SiloName, host));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private void ConfigureSilo(string testName, IHostApplicationBuilder host)
    {
        var role = _roles.GetOrAdd(testName, _ => Interlocked.Increment(ref _created) <= WebSilos ? ClusterRoles.Web : ClusterRoles.Gpu);
        var name = $"{role}-{testName}";
        host.Services.PostConfigure<SiloOptions>(o => o.SiloName = name);
        host.Configuration.AddInMemoryCollection([new($"{GpuOptions.SectionName}:{nameof(GpuOptions.MaxRooms)}", MaxRooms.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        if (role == ClusterRoles.Web)
        {
            host.Services.AddRendererPlacement();
            return;
        }

        // The scheduler's services as the app registers them (AddApplicationServices), at a small frame size.
        var model = Models.GetOrAdd(name, _ => new GatedImageGenerator());
        var services = host.Services;
        services.AddSingleton<IImageGenerator>(model);
        services.AddSingleton<IRoomFeedLocator>(Feeds);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(new SchedulerOptions { Width = 64, Height = 64, RefineDelay = TimeSpan.FromHours(1) }));
        var hub = Hubs.GetOrAdd(name, _ => new RecordingHubContext());
        services.AddSingleton(hub.Context);
        services.AddSingleton(Options.Create(new OutboxOptions()));
        services.AddSingleton<ConnectionOutboxes>();
        services.AddSingleton<SketchRasterizer>();
        services.AddSingleton<FrameEncoder>();
        services.AddSingleton(sp => new DirtyQueue(sp.GetRequiredService<IOptions<SchedulerOptions>>().Value.RefineDelay, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<FrameDelivery>();
        services.AddSingleton<RunCoordinator>();
        services.AddSingleton<FrameScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<FrameScheduler>());
        host.AddGpuWorker();
    }

    /// <summary>Each GPU silo's hub (what its own connections were sent), by its silo name.</summary>
    public ConcurrentDictionary<string, RecordingHubContext> Hubs { get; } = new(StringComparer.Ordinal);

    /// <summary>The silos alive now whose name has a role.</summary>
    /// <param name="role">web or gpu.</param>
    public IReadOnlyList<InProcessSiloHandle> Silos(string role) =>
        [.. Cluster.Silos.Where(s => s.IsActive && NameOf(s).StartsWith(role + "-", StringComparison.Ordinal))];

    /// <summary>A silo's name (with its role).</summary>
    public static string NameOf(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName;

    /// <summary>A GPU silo's rooms.</summary>
    public static ClusterRenderSource Source(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<ClusterRenderSource>();

    /// <summary>A GPU silo's model.</summary>
    public GatedImageGenerator Model(InProcessSiloHandle silo) => Models[NameOf(silo)];

    /// <summary>The GPU silo whose renderers hold a room, or null.</summary>
    public InProcessSiloHandle? HolderOf(string roomId) => Silos(ClusterRoles.Gpu).SingleOrDefault(s => Source(s).Holds(roomId));

    /// <summary>Renderer activations per silo, as each silo's catalog reports them.</summary>
    public async Task<Dictionary<SiloAddress, int>> RendererActivationsAsync()
    {
        var stats = await Cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics(RendererType);
        return stats.GroupBy(s => s.SiloAddress).ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>Tells a room's renderer of its newest revision, as the room's watchdog does.</summary>
    /// <param name="room">The room.</param>
    /// <param name="grains">Who calls (a web silo's grain factory; default: the cluster client).</param>
    public Task DispatchAsync(FakeRoomFeed room, IGrainFactory? grains = null) =>
        (grains ?? Cluster.Client).GetGrain<IRendererGrain>(room.RoomId).RevisionChangedAsync(room.Revision);

    /// <summary>Releases rooms' renderers and waits until no renderer activation is left in the cluster.</summary>
    public async Task ReleaseAllAsync(IEnumerable<FakeRoomFeed> rooms)
    {
        foreach (var room in rooms) await Cluster.Client.GetGrain<IRendererGrain>(room.RoomId).ReleaseAsync();
        await Until(async () => (await RendererActivationsAsync()).Values.Sum() == 0, "every renderer deactivated");
    }

    /// <summary>Polls a condition until it holds (a guard against hangs only: the condition, not the time, is the assertion).</summary>
    public static async Task Until(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"Still not true after 30 s: {what}.");
    }
}

/// <summary>Two web silos and two GPU silos, 12 rooms per GPU at most.</summary>
public sealed class TwoWebTwoGpuCluster : GpuClusterFixture
{
    /// <inheritdoc />
    protected override int WebSilos => 2;

    /// <inheritdoc />
    protected override int GpuSilos => 2;

    /// <inheritdoc />
    public override int MaxRooms => 12;
}

/// <summary>One web silo and two GPU silos (GPU silos are stopped by its test).</summary>
public sealed class OneWebTwoGpuCluster : GpuClusterFixture
{
    /// <inheritdoc />
    protected override int WebSilos => 1;

    /// <inheritdoc />
    protected override int GpuSilos => 2;

    /// <inheritdoc />
    public override int MaxRooms => 64;
}
