using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// A sketch hub client written by hand over <see cref="ClientWebSocket"/> (SignalR's JSON protocol: negotiate, handshake,
/// invocations ended by U+001E), so a test decides whether it reads at all. Its socket asks for a small receive buffer.
/// </summary>
public sealed class RawJsonHubClient : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;
    private readonly ClientWebSocket _socket;
    private readonly HttpMessageInvoker _invoker;
    private readonly Socket _tcp;
    private int _invocations;
    private long _bytesReceived;

    private RawJsonHubClient(ClientWebSocket socket, HttpMessageInvoker invoker, Socket tcp, string connectionId)
    {
        _socket = socket;
        _invoker = invoker;
        _tcp = tcp;
        ConnectionId = connectionId;
    }

    /// <summary>The server's id of this connection (<c>Context.ConnectionId</c>).</summary>
    public string ConnectionId { get; }

    /// <summary>The socket's receive buffer as the kernel set it.</summary>
    public int ReceiveBufferSize => _tcp.ReceiveBufferSize;

    /// <summary>Bytes read so far (0 unless <see cref="StartReading"/> was called).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Negotiates, opens the WebSocket with a small receive buffer and completes the JSON handshake.</summary>
    /// <param name="baseAddress">The app.</param>
    /// <param name="receiveBufferSize">The socket receive buffer to ask for.</param>
    public static async Task<RawJsonHubClient> ConnectAsync(Uri baseAddress, int receiveBufferSize)
    {
        using var http = new HttpClient { BaseAddress = baseAddress };
        using var negotiated = await http.PostAsync($"{SketchHub.Path}/negotiate?negotiateVersion=1", null);
        negotiated.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await negotiated.Content.ReadAsStringAsync());
        var connectionId = body.RootElement.GetProperty("connectionId").GetString()!;
        var token = body.RootElement.GetProperty("connectionToken").GetString()!;

        Socket? tcp = null;
        var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                // Set before connecting, so the advertised window is small too.
                tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = receiveBufferSize };
                await tcp.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(tcp, ownsSocket: true);
            },
        });
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(new Uri(baseAddress, SketchHub.Path)) { Scheme = "ws", Query = $"id={Uri.EscapeDataString(token)}" }.Uri;
        await socket.ConnectAsync(uri, invoker, CancellationToken.None);
        var client = new RawJsonHubClient(socket, invoker, tcp!, connectionId);
        await client.SendAsync("{\"protocol\":\"json\",\"version\":1}");
        return client;
    }

    /// <summary>Sends an invocation (the reply, if read at all, is not waited for).</summary>
    /// <param name="target">The hub method.</param>
    /// <param name="arguments">Its arguments.</param>
    public Task InvokeAsync(string target, params object?[] arguments) => SendAsync(JsonSerializer.Serialize(new
    {
        type = 1,
        invocationId = (Interlocked.Increment(ref _invocations)).ToString(System.Globalization.CultureInfo.InvariantCulture),
        target,
        arguments,
    }));

    /// <summary>
    /// Reads everything from now on in the background, counting bytes and the messages whose text contains
    /// <paramref name="marker"/>; the returned task completes once <paramref name="count"/> of them have arrived.
    /// </summary>
    public Task StartReading(string marker, int count)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            var buffer = new byte[16 * 1024];
            var needle = Encoding.UTF8.GetBytes(marker);
            using var record = new MemoryStream();
            var seen = 0;
            try
            {
                while (true)
                {
                    var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close) break;
                    Interlocked.Add(ref _bytesReceived, result.Count);
                    var rest = buffer.AsSpan(0, result.Count);
                    int end;
                    while ((end = rest.IndexOf(RecordSeparator)) >= 0)
                    {
                        record.Write(rest[..end]);
                        if (record.GetBuffer().AsSpan(0, (int)record.Length).IndexOf(needle) >= 0 && ++seen >= count) reached.TrySetResult();
                        record.SetLength(0);
                        rest = rest[(end + 1)..];
                    }
                    record.Write(rest);
                }
                reached.TrySetException(new InvalidOperationException($"The connection closed after {seen} of {count} '{marker}' messages."));
            }
            catch (Exception ex)
            {
                reached.TrySetException(ex);
            }
        });
        return reached.Task;
    }

    /// <summary>Drops the connection without a close handshake.</summary>
    public void Abort() => _socket.Abort();

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        _invoker.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task SendAsync(string message) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(message + (char)RecordSeparator), WebSocketMessageType.Text, true, CancellationToken.None);
}
