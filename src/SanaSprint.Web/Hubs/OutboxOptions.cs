using System.ComponentModel.DataAnnotations;

namespace SanaSprint.Web.Hubs;

/// <summary>
/// Bounds of each sketch hub connection's outbox (<see cref="ConnectionOutboxes"/>); bound from the <c>Outbox</c> section
/// and validated at start.
/// </summary>
public sealed class OutboxOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Outbox";

    /// <summary>
    /// Room events (strokes, undo/redo/clear, prompt, settings, presence, cursors) one connection may have waiting to be
    /// sent; a stroke, prompt, settings or presence event beyond it disconnects that connection (it rejoins with a fresh
    /// snapshot), a cursor beyond it is dropped.
    /// </summary>
    /// <remarks>
    /// Defaults to <c>4096</c>: a full room of 16 people drawing sends each member about 1,000 events a second, so a
    /// member may fall about four seconds behind before it is dropped. Frames are not counted here: each connection keeps
    /// only its newest unsent frame.
    /// </remarks>
    [Range(16, 1_000_000)]
    public int EventCapacity { get; set; } = 4096;

    /// <summary>
    /// Longest one send to a client may wait for it to read before the client is disconnected (SignalR's
    /// <c>HttpConnectionDispatcherOptions.TransportSendTimeout</c> for the sketch hub): a client that stops reading is
    /// dropped after this or once its events overflow <see cref="EventCapacity"/>, whichever comes first.
    /// </summary>
    /// <remarks>Defaults to 10 seconds (SignalR's own default).</remarks>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
