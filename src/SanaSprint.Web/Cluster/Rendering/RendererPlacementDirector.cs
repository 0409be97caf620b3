using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;
using Orleans.Serialization.TypeSystem;

namespace SanaSprint.Web.Cluster.Rendering;

/// <summary>
/// Chooses the GPU silo for a new renderer (<see cref="RendererPlacement"/>); registered on every silo, since the silo that
/// sends the first call to a renderer places it.
/// </summary>
/// <remarks>
/// <para>Load is each GPU silo's count of active renderers, read per placement from the silos themselves
/// (<c>IManagementGrain.GetDetailedGrainStatistics</c> for the renderer grain type, answered from each silo's
/// catalog): placements are rare (once per room per GPU), so an exact count beats a cached one. Placements this director
/// made after the read started are added, as their activations may not exist yet; if the read fails (a GPU silo died and
/// membership has not caught up), only those are counted.</para>
/// <para><see cref="GpuOptions.MaxRooms"/> is this silo's value: every node of a deployment is started with the same one.
/// A GPU silo over it sheds its idlest rooms itself (<see cref="ClusterRenderSource"/>).</para>
/// </remarks>
internal sealed partial class RendererPlacementDirector(
    ISiloStatusOracle membership,
    IServiceProvider services,
    IOptions<GpuOptions> options,
    TimeProvider time,
    ILogger<RendererPlacementDirector> logger) : IPlacementDirector
{
    private static readonly string[] RendererType = [RuntimeTypeNameFormatter.Format(typeof(RendererGrain))];
    private static readonly TimeSpan RecentWindow = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly List<(SiloAddress Silo, long At)> _recent = []; // placements made here, newest last

    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var gpus = context.GetCompatibleSilos(target)
            .Where(s => membership.TryGetSiloName(s, out var name) && ClusterRoles.HostsRenderers(name))
            .ToArray();
        if (gpus.Length == 0) throw new NoGpuWorkerException();
        if (gpus.Length == 1) return Placed(gpus[0]);

        var readStarted = time.GetTimestamp();
        var load = await ReadLoadAsync(gpus);
        lock (_gate)
        {
            foreach (var (silo, at) in _recent)
            {
                if (at >= readStarted) load[silo] = load.GetValueOrDefault(silo) + 1;
            }
        }
        var chosen = Choose(gpus, load, options.Value.MaxRooms, Random.Shared);
        return Placed(chosen);
    }

    private SiloAddress Placed(SiloAddress silo)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            _recent.RemoveAll(r => time.GetElapsedTime(r.At, now) > RecentWindow);
            _recent.Add((silo, now));
        }
        return silo;
    }

    private async Task<Dictionary<SiloAddress, int>> ReadLoadAsync(SiloAddress[] gpus)
    {
        var load = gpus.ToDictionary(s => s, _ => 0);
        try
        {
            var management = services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
            foreach (var stat in await management.GetDetailedGrainStatistics(RendererType, gpus))
            {
                if (load.TryGetValue(stat.SiloAddress, out var n)) load[stat.SiloAddress] = n + 1;
            }
        }
        catch (Exception ex)
        {
            Log.LoadReadFailed(logger, ex);
        }
        return load;
    }

    /// <summary>
    /// The GPU silo for a new renderer: among those under <paramref name="maxRooms"/> (all of them when none is), one with
    /// the fewest renderers, ties broken at random.
    /// </summary>
    /// <param name="gpus">The live GPU silos (at least one).</param>
    /// <param name="load">Renderers per silo (missing: none).</param>
    /// <param name="maxRooms">Rooms a GPU renders at most.</param>
    /// <param name="random">Breaks ties.</param>
    /// <returns>The silo.</returns>
    internal static SiloAddress Choose(IReadOnlyList<SiloAddress> gpus, IReadOnlyDictionary<SiloAddress, int> load, int maxRooms, Random random)
    {
        if (gpus.Count == 0) throw new NoGpuWorkerException();
        int Load(SiloAddress s) => load.GetValueOrDefault(s);
        var open = gpus.Where(s => Load(s) < maxRooms).ToList();
        var pool = open.Count > 0 ? open : [.. gpus];
        var fewest = pool.Min(Load);
        var best = pool.Where(s => Load(s) == fewest).ToList();
        return best[random.Next(best.Count)];
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Reading the GPU silos' renderer counts failed; placing by this silo's recent placements only", EventName = "RendererLoadReadFailed")]
        public static partial void LoadReadFailed(ILogger logger, Exception exception);
    }
}
