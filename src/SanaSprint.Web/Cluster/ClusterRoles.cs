namespace SanaSprint.Web.Cluster;

/// <summary>
/// The roles silos take in a deployment. A silo's name starts with its role and a dash (<c>web-…</c>, <c>gpu-…</c>,
/// <c>all-…</c>), so every silo can tell from membership alone where rooms and renderers may live.
/// </summary>
public static class ClusterRoles
{
    /// <summary>Hosts room grains (web and all nodes).</summary>
    public const string Web = "web";

    /// <summary>Hosts renderers (gpu and all nodes).</summary>
    public const string Gpu = "gpu";

    /// <summary>Hosts both (an all node).</summary>
    public const string All = "all";

    /// <summary>The silo name prefix for a mode.</summary>
    /// <param name="mode">The process's mode (not <see cref="DeploymentMode.Single"/>).</param>
    public static string Prefix(DeploymentMode mode) => mode switch
    {
        DeploymentMode.Web => Web,
        DeploymentMode.Gpu => Gpu,
        DeploymentMode.All => All,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "a single-process deployment has no silo"),
    };

    /// <summary>A silo name for a mode: the role prefix, a dash and a unique suffix.</summary>
    /// <param name="mode">The process's mode.</param>
    /// <param name="suffix">Unique per process (e.g. host name and port).</param>
    public static string SiloName(DeploymentMode mode, string suffix) => $"{Prefix(mode)}-{suffix}";

    /// <summary>True when a silo of this name hosts renderers.</summary>
    /// <param name="siloName">The silo's name from membership.</param>
    public static bool HostsRenderers(string? siloName) => HasRole(siloName, Gpu) || HasRole(siloName, All);

    /// <summary>True when a silo of this name hosts room grains.</summary>
    /// <param name="siloName">The silo's name from membership.</param>
    public static bool HostsRooms(string? siloName) => HasRole(siloName, Web) || HasRole(siloName, All);

    private static bool HasRole(string? siloName, string role) =>
        siloName is not null && siloName.Length > role.Length && siloName[role.Length] == '-' && siloName.StartsWith(role, StringComparison.Ordinal);
}
