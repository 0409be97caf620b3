using System.ComponentModel.DataAnnotations;

namespace SanaSprint.Web.Hubs;

/// <summary>Transport-level limits of the sketch hub; bound from the <c>HubLimits</c> section and validated at start.</summary>
public sealed class HubLimitOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "HubLimits";

    /// <summary>Largest message a client may send, in bytes; a larger one closes that client's connection with an error.</summary>
    /// <remarks>Defaults to 256 KiB (room for <c>RoomOptions.MaxPointsPerAppend</c> points many times over).</remarks>
    [Range(1024, 16 * 1024 * 1024)]
    public long MaximumReceiveMessageSize { get; set; } = 256 * 1024;

    /// <summary>Sustained hub invocations per second one connection may make; more are refused with a <c>rate-limited</c> error.</summary>
    /// <remarks>Defaults to <c>120</c> (a drawing browser makes about 30 point batches and 33 cursor moves a second).</remarks>
    [Range(1, 1_000_000)]
    public double InvocationsPerSecond { get; set; } = 120;

    /// <summary>Invocations one connection may make at once above the sustained rate (the token bucket's size).</summary>
    /// <remarks>Defaults to <c>240</c>.</remarks>
    [Range(1, 1_000_000)]
    public int InvocationBurst { get; set; } = 240;
}
