using System.ComponentModel.DataAnnotations;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// How this process takes part in a deployment (configuration section <c>Deployment</c>). The names are a contract: nodes
/// start with <c>--Deployment:Mode=web|gpu --Deployment:Redis=host:port --Deployment:ClusterId=… --Deployment:SiloPort=…
/// --Deployment:GatewayPort=…</c>.
/// </summary>
public sealed class DeploymentOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Deployment";

    /// <summary>This process's role; <see cref="DeploymentMode.Single"/> (the default) needs no Redis and starts no silo.</summary>
    public DeploymentMode Mode { get; set; } = DeploymentMode.Single;

    /// <summary>StackExchange.Redis configuration string (membership, room store, backplane); required unless <see cref="DeploymentMode.Single"/>.</summary>
    public string? Redis { get; set; }

    /// <summary>The cluster every node of one deployment names (Orleans cluster id; also the prefix of every Redis key).</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,64}$")]
    public string ClusterId { get; set; } = "sanasprint";

    /// <summary>Silo-to-silo port; several processes on one host each take their own.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Orleans client gateway port; several processes on one host each take their own.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos reach this one on (null: the host's first non-loopback IPv4, else loopback).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>How long a membership probe may take before it counts as missed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes after which a silo is suspected (and, with enough votes, declared dead).</summary>
    [Range(1, 10)]
    public int MissedProbesLimit { get; set; } = 2;

    /// <summary>How long a grain call may take (Orleans' default of 30 s is far longer than a user waits).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan GrainCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a room waits for the frame of a dispatched revision before its watchdog dispatches it again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan FrameDeadline { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The sketch hub's protocols in cluster modes: <c>messagepack</c> (default: MessagePack and JSON) or <c>json</c> (JSON only). Every node uses the same set.</summary>
    [RegularExpression("^(messagepack|json)$")]
    public string HubProtocol { get; set; } = "messagepack";

    /// <summary>True for every mode but <see cref="DeploymentMode.Single"/>.</summary>
    public bool Clustered => Mode != DeploymentMode.Single;

    /// <summary>True when this process hosts room grains and the hub (<see cref="DeploymentMode.Web"/>, <see cref="DeploymentMode.All"/>).</summary>
    public bool HostsRooms => Mode is DeploymentMode.Web or DeploymentMode.All;

    /// <summary>True when this process loads the model and renders (<see cref="DeploymentMode.Gpu"/>, <see cref="DeploymentMode.All"/>, <see cref="DeploymentMode.Single"/>).</summary>
    public bool Renders => Mode is DeploymentMode.Gpu or DeploymentMode.All or DeploymentMode.Single;
}
