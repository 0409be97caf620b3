using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.TestingHost;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// An Orleans in-process test cluster of two web silos (<c>web-0</c>, <c>web-1</c>: room grains) and one GPU silo
/// (<c>gpu-2</c>: no room grains; it only makes a renderer host alive in membership), over one
/// <see cref="SharedRoomBacking"/>, with the room grains' clock (<see cref="Clock"/>) and renderer dispatch
/// (<see cref="Dispatch"/>) in the test's hands. No Redis. One cluster per test class.
/// </summary>
public sealed class RoomClusterFixture : IAsyncLifetime
{
    /// <summary>The longest any test waits for something the cluster does in the background (a guard against hanging, not a bound).</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    /// <summary>The room watchdog's deadline in this cluster.</summary>
    public static readonly TimeSpan FrameDeadline = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<OrleansRoomDirectory> _directories = [];
    private RoomEditor _editor = new(new RoomOptions());

    /// <summary>What the cluster's room store holds.</summary>
    public SharedRoomBacking Backing { get; } = new();

    /// <summary>The room grains' clock (watchdog deadlines, subscription expiry).</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Every revision dispatched to a renderer.</summary>
    public RecordingRendererDispatch Dispatch { get; } = new();

    /// <summary>The rules room grains activated from now on use.</summary>
    public RoomEditor Editor
    {
        get => Volatile.Read(ref _editor);
        set => Volatile.Write(ref _editor, value);
    }

    /// <summary>The cluster.</summary>
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            var name = _names.GetOrAdd(options.SiloName, _ => _names.Count < 2 ? $"web-{_names.Count}" : $"gpu-{_names.Count}");
            var services = silo.Services;
            services.PostConfigure<SiloOptions>(o => o.SiloName = name);
            if (!ClusterRoles.HostsRooms(name)) services.Configure<GrainTypeOptions>(o => o.Classes.Remove(typeof(RoomGrain)));
            services.AddSingleton<IClusterRoomStore>(_ => new SharedMemoryRoomStore(Backing));
            services.AddTransient(_ => Editor);
            services.AddKeyedSingleton<TimeProvider>(RoomGrain.ClockKey, Clock);
            services.AddSingleton<IRendererDispatch>(Dispatch);
            services.Configure<DeploymentOptions>(o =>
            {
                o.Mode = ClusterRoles.HostsRooms(name) ? DeploymentMode.Web : DeploymentMode.Gpu;
                o.FrameDeadline = FrameDeadline;
            });
            services.AddClusterHealthChecks();
            services.AddSerializer(s => s.AddReadOnlyCollections());
        });
        builder.ConfigureClient(client => client.Services.AddSerializer(s => s.AddReadOnlyCollections()));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>The silo of this name (<c>web-0</c>, <c>web-1</c>, <c>gpu-2</c>).</summary>
    public InProcessSiloHandle Silo(string name) =>
        Cluster.Silos.Single(s => s.ServiceProvider.GetRequiredService<ILocalSiloDetails>().Name == name);

    /// <summary>The <c>cluster</c> health check as a silo's <c>/healthz</c> reports it.</summary>
    public async Task<HealthReportEntry> ClusterHealthAsync(string silo = "web-0") =>
        (await Silo(silo).ServiceProvider.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "cluster")).Entries["cluster"];

    /// <summary>A grain factory on a silo.</summary>
    public IGrainFactory Grains(string silo = "web-0") => Silo(silo).ServiceProvider.GetRequiredService<IGrainFactory>();

    /// <summary>A web node's room directory on silo <paramref name="silo"/>, with <paramref name="editor"/>'s limits (default: <see cref="Editor"/>).</summary>
    public OrleansRoomDirectory Directory(string silo, RoomEditor? editor = null)
    {
        var services = Silo(silo).ServiceProvider;
        var directory = new OrleansRoomDirectory(services.GetRequiredService<IGrainFactory>(), editor ?? Editor,
            services.GetRequiredService<IClusterRoomStore>(), services.GetRequiredService<ILocalSiloDetails>());
        _directories.Add(directory);
        return directory;
    }

    /// <summary>Stops a silo (no session of it leaves its rooms) and waits until <paramref name="observer"/> sees it dead.</summary>
    public async Task StopSiloAsync(string name, string observer = "web-0")
    {
        var silo = Silo(name);
        var address = silo.SiloAddress;
        await Cluster.StopSiloAsync(silo);
        var membership = Silo(observer).ServiceProvider.GetRequiredService<IClusterMembershipService>();
        using var guard = new CancellationTokenSource(HangGuard);
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(guard.Token))
            if (snapshot.GetSiloStatus(address) == SiloStatus.Dead) break;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var directory in _directories) await directory.DisposeAsync();
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
