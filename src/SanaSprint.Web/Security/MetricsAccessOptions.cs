using System.ComponentModel.DataAnnotations;
using System.Net;

namespace SanaSprint.Web.Security;

/// <summary>
/// Who may read <c>/metrics</c>. Prometheus text names rooms' load and the server's internals, so it is not for the
/// world: by default only this machine (loopback) is answered; an operator adds the scraper's networks, or serves the
/// endpoint on a port of its own that the reverse proxy does not forward.
/// </summary>
public sealed class MetricsAccessOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Metrics";

    /// <summary>
    /// Networks (CIDR, e.g. <c>10.0.0.0/8</c>) whose clients are answered; others get 404. Defaults to loopback only
    /// (<c>127.0.0.0/8</c>, <c>::1/128</c>). A request that arrives through a proxy is judged by the address the server
    /// sees (configure forwarded headers only behind a proxy you trust).
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = ["127.0.0.0/8", "::1/128"];

    /// <summary>
    /// When set, <c>/metrics</c> is served only on this port (add it to <c>--urls</c>, e.g.
    /// <c>http://0.0.0.0:9464</c>) and the allowed networks still apply; when null, on every port the app listens on.
    /// </summary>
    [Range(1, 65535)]
    public int? Port { get; set; }

    private IPNetwork[]? _networks;

    /// <summary>True when a client at <paramref name="address"/> may read the metrics.</summary>
    /// <param name="address">The remote address; null for an in-process request (a test server), which is local.</param>
    public bool Allows(IPAddress? address)
    {
        if (address is null) return true;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        _networks ??= [.. AllowedNetworks.Select(IPNetwork.Parse)];
        return _networks.Any(n => n.Contains(address));
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var network in AllowedNetworks)
        {
            if (!IPNetwork.TryParse(network, out _))
                yield return new ValidationResult($"Metrics:AllowedNetworks: '{network}' is not a network in CIDR notation (e.g. 10.0.0.0/8).", [nameof(AllowedNetworks)]);
        }
    }
}
