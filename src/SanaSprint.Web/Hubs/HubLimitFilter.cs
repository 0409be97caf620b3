using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Observability;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Hubs;

/// <summary>
/// The sketch hub's filter (registered for that hub only, so Blazor's circuit hub is never throttled): a per-connection
/// token bucket (<see cref="TokenBucketRateLimiter"/> , <see cref="HubLimitOptions.InvocationsPerSecond"/>, <see cref="HubLimitOptions.InvocationBurst"/>) whose refusals become a <c>rate-limited</c> <c>Error</c> to the caller only;
/// a logging scope with the connection, room and method; hub error metrics; and a last line of defence that turns an
/// unexpected exception into an <c>internal</c> <c>Error</c> for the caller (logged with its stack) instead of a silent failure.
/// Also counts open connections.
/// </summary>
/// <param name="options">The limits.</param>
/// <param name="rooms">The rooms, for the caller's room in the logging scope.</param>
/// <param name="logger">Logger.</param>
/// <param name="time">The clock of the refusal log's per-connection budget.</param>
public sealed partial class HubLimitFilter(IOptions<HubLimitOptions> options, IRoomDirectory rooms, ILogger<HubLimitFilter> logger, TimeProvider time) : IHubFilter
{
    /// <summary>The <see cref="ErrorMessage.Code"/> of a refused, too-fast call.</summary>
    public const string RateLimitedCode = "rate-limited";

    /// <summary>The <see cref="ErrorMessage.Code"/> of a call that failed on the server.</summary>
    public const string InternalCode = "internal";

    private const string BucketKey = "sanasprint.bucket";
    private readonly HubLimitOptions _options = options.Value;
    private long _connections;

    /// <summary>Open hub connections.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <inheritdoc />
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        ArgumentNullException.ThrowIfNull(invocationContext);
        ArgumentNullException.ThrowIfNull(next);
        var context = invocationContext.Context;
        var method = invocationContext.HubMethodName;
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["ConnectionId"] = context.ConnectionId,
            ["RoomId"] = (await rooms.FindSessionAsync(context.ConnectionId))?.RoomId,
            ["HubMethod"] = method,
        });

        if (!context.Items.TryGetValue(BucketKey, out var item) || item is not RateLimiter bucket)
            context.Items[BucketKey] = bucket = NewBucket(_options);
        using var lease = bucket.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            SanaSprintMetrics.HubError(method, RateLimitedCode);
            var message = $"Too many calls: at most {_options.InvocationsPerSecond:0.##} per second with bursts of {_options.InvocationBurst} (`HubLimits`); slow down.";
            RefusalLog.Refused(logger, context, method, RateLimitedCode, message, time);
            await SendErrorAsync(invocationContext, new ErrorMessage(method, RateLimitedCode, message));
            throw new HubException(message);
        }

        try
        {
            return await next(invocationContext);
        }
        catch (HubException)
        {
            // The hub already told the caller (RoomException → Error + HubException).
            SanaSprintMetrics.HubError(method, "rejected");
            throw;
        }
        catch (OperationCanceledException) when (context.ConnectionAborted.IsCancellationRequested)
        {
            // The client went away mid-call; nothing to tell.
            throw;
        }
        catch (Exception ex)
        {
            SanaSprintMetrics.HubError(method, InternalCode);
            Log.Failed(logger, method, context.ConnectionId, ex);
            var message = $"`{method}` failed on the server ({ex.GetType().Name}); the room is unchanged by this call.";
            await SendErrorAsync(invocationContext, new ErrorMessage(method, InternalCode, message));
            throw new HubException(message);
        }
    }

    /// <inheritdoc />
    public Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Interlocked.Increment(ref _connections);
        return next(context);
    }

    /// <inheritdoc />
    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        Interlocked.Decrement(ref _connections);
        if (context.Context.Items.Remove(BucketKey, out var bucket)) (bucket as IDisposable)?.Dispose();
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["ConnectionId"] = context.Context.ConnectionId });
        await next(context, exception);
    }

    private static async Task SendErrorAsync(HubInvocationContext invocationContext, ErrorMessage error)
    {
        try
        {
            if (invocationContext.Hub is Hub<ISketchClient> typed) await typed.Clients.Caller.Error(error);
            else await invocationContext.Hub.Clients.Caller.SendAsync(nameof(ISketchClient.Error), error);
        }
        catch (Exception) when (invocationContext.Context.ConnectionAborted.IsCancellationRequested)
        {
            // The caller is gone.
        }
    }

    /// <summary>
    /// A connection's bucket: <see cref="HubLimitOptions.InvocationBurst"/> tokens, refilled at
    /// <see cref="HubLimitOptions.InvocationsPerSecond"/> in about ten small top-ups a second; no queue (a call is taken or refused).
    /// </summary>
    internal static TokenBucketRateLimiter NewBucket(HubLimitOptions options)
    {
        var tokensPerPeriod = Math.Max(1, (int)Math.Round(options.InvocationsPerSecond / 10));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.InvocationBurst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / options.InvocationsPerSecond),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Error, "'{HubMethod}' from '{ConnectionId}' failed unexpectedly", EventName = "HubMethodFailed")]
        public static partial void Failed(ILogger logger, string hubMethod, string connectionId, Exception exception);
    }
}
