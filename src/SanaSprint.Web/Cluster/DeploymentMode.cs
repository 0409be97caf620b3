namespace SanaSprint.Web.Cluster;

/// <summary>What a process does (<c>Deployment:Mode</c>).</summary>
public enum DeploymentMode
{
    /// <summary>Everything in this process, no Redis, no Orleans (the default).</summary>
    Single,

    /// <summary>Kestrel, Blazor and the sketch hub, plus an Orleans silo hosting the room grains; no model loaded.</summary>
    Web,

    /// <summary>An Orleans silo hosting the renderers, the pipeline and the frame scheduler; Kestrel only for health and metrics.</summary>
    Gpu,

    /// <summary>Both roles in one clustered process.</summary>
    All,
}
