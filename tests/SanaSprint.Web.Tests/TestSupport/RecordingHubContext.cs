using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// A sketch hub context whose single-connection clients (<c>Clients.Client(id)</c>) record what they are sent, in order;
/// a held connection's sends each wait until it is released.
/// </summary>
public sealed class RecordingHubContext
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(string Method, object Message)>> _sent = new();
    private readonly ConcurrentDictionary<string, Gate> _held = new();
    private readonly ConcurrentDictionary<string, int> _started = new();
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Creates the context.</summary>
    public RecordingHubContext() => Context = Proxy<IHubContext<SketchHub, ISketchClient>>.Create((method, _) => method.Name switch
    {
        "get_Clients" => Proxy<IHubClients<ISketchClient>>.Create((m, args) => m.Name == "Client" ? Client((string)args[0]!) : throw new NotSupportedException(m.Name)),
        _ => throw new NotSupportedException(method.Name),
    });

    /// <summary>The hub context.</summary>
    public IHubContext<SketchHub, ISketchClient> Context { get; }

    /// <summary>Makes every send to <paramref name="connectionId"/> wait until the returned source is completed.</summary>
    public TaskCompletionSource Hold(string connectionId) => _held.GetOrAdd(connectionId, _ => new Gate()).Released;

    /// <summary>What <paramref name="connectionId"/> was sent (the sends that ended), in order.</summary>
    public IReadOnlyList<(string Method, object Message)> Sent(string connectionId) => [.. _sent.GetOrAdd(connectionId, _ => new())];

    /// <summary>The sent messages of type <typeparamref name="T"/>.</summary>
    public IReadOnlyList<T> Sent<T>(string connectionId) => [.. Sent(connectionId).Select(s => s.Message).OfType<T>()];

    /// <summary>Waits until <paramref name="count"/> sends to the connection have ended.</summary>
    public Task WaitForAsync(string connectionId, int count) => WaitUntilAsync(() => Sent(connectionId).Count >= count, $"{connectionId} got {Sent(connectionId).Count} of {count} messages.");

    /// <summary>Waits until <paramref name="count"/> sends to the connection have started (a held one waits inside its send).</summary>
    public Task WaitForStartedAsync(string connectionId, int count) => WaitUntilAsync(() => _started.GetValueOrDefault(connectionId) >= count, $"{connectionId} started {_started.GetValueOrDefault(connectionId)} of {count} sends.");

    private async Task WaitUntilAsync(Func<bool> done, string failure)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (done()) return;
            // A guard against a hang, not a timing assertion.
            try
            {
                await changed.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                throw new TimeoutException(failure);
            }
        }
    }

    private ISketchClient Client(string connectionId) => Proxy<ISketchClient>.Create((method, args) => SendAsync(connectionId, method.Name, args[0]!));

    private async Task SendAsync(string connectionId, string method, object message)
    {
        _started.AddOrUpdate(connectionId, 1, (_, n) => n + 1);
        Changed();
        if (_held.TryGetValue(connectionId, out var gate)) await gate.Released.Task;
        _sent.GetOrAdd(connectionId, _ => new()).Enqueue((method, message));
        Changed();
    }

    private void Changed() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Gate
    {
        public TaskCompletionSource Released { get; } = NewSignal();
    }
}
