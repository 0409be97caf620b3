using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// The per-client budget of room creations: <see cref="RoomOptions.RoomCreationsPerAddress"/> per
/// <see cref="RoomOptions.RoomCreationWindow"/> (a fixed window) for each client address, shared by the lobby's form (through
/// ASP.NET Core's rate-limiting middleware, <see cref="Partition"/>) and the hub's <c>CreateRoom</c> (<see cref="TryAcquire"/>).
/// </summary>
/// <remarks>
/// An IPv4 client seen through a dual-stack socket counts as its IPv4 address; an IPv6 client counts as its /64 network
/// (one host usually holds a whole /64). The address is the connection's: behind a reverse proxy every client has the
/// proxy's address unless the app is told to trust the proxy's <c>X-Forwarded-For</c> (ASP.NET Core's
/// <c>ForwardedHeadersOptions</c>).
/// </remarks>
public sealed class RoomCreationLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly RoomOptions _options;

    /// <summary>Creates the budget from the room options.</summary>
    /// <param name="options">The per-address limit and its window.</param>
    public RoomCreationLimiter(IOptions<RoomOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = _options.RoomCreationsPerAddress,
            Window = _options.RoomCreationWindow,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>The name of the ASP.NET Core rate-limiting policy of the room-creation endpoint.</summary>
    public const string PolicyName = "room-creation";

    /// <summary>The budget's key for a client address: IPv4 as is, IPv6 as its /64 network, "unknown" without an address.</summary>
    /// <param name="address">The connection's remote address.</param>
    public static string PartitionKey(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Takes one creation from the client's budget.</summary>
    /// <param name="address">The client's address.</param>
    /// <param name="retryAfter">When refused: how long until the budget refills, when known.</param>
    /// <returns>False when the client has used its budget.</returns>
    public bool TryAcquire(IPAddress? address, out TimeSpan? retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(PartitionKey(address));
        retryAfter = !lease.IsAcquired && lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : null;
        return lease.IsAcquired;
    }

    /// <summary>The sentence a refused client gets.</summary>
    /// <param name="retryAfter">When the budget refills, if known.</param>
    public string RefusalMessage(TimeSpan? retryAfter) =>
        $"Too many new rooms from your address: at most {_options.RoomCreationsPerAddress} every {_options.RoomCreationWindow} "
        + $"(`RoomOptions.RoomCreationsPerAddress`, `RoomOptions.RoomCreationWindow`). "
        + (retryAfter is { } after ? $"Try again in {Math.Ceiling(after.TotalSeconds)} s." : "Try again later.");

    /// <summary>
    /// The middleware's partition for a request: a limiter that draws on this budget (the middleware may drop and recreate
    /// its per-key limiters; the budget itself lives here).
    /// </summary>
    /// <param name="context">The request.</param>
    public RateLimitPartition<string> Partition(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = PartitionKey(context.Connection.RemoteIpAddress);
        return RateLimitPartition.Get(key, k => new BudgetView(_limiter, k));
    }

    /// <inheritdoc />
    public void Dispose() => _limiter.Dispose();

    /// <summary>One key's view of the shared budget, as a <see cref="RateLimiter"/> the middleware can own and dispose.</summary>
    private sealed class BudgetView(PartitionedRateLimiter<string> budget, string key) : RateLimiter
    {
        private long _lastUsed = TimeProvider.System.GetTimestamp();

        public override TimeSpan? IdleDuration => TimeProvider.System.GetElapsedTime(Interlocked.Read(ref _lastUsed));

        public override RateLimiterStatistics? GetStatistics() => budget.GetStatistics(key);

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            Interlocked.Exchange(ref _lastUsed, TimeProvider.System.GetTimestamp());
            return budget.AttemptAcquire(key, permitCount);
        }

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref _lastUsed, TimeProvider.System.GetTimestamp());
            return budget.AcquireAsync(key, permitCount, cancellationToken);
        }
    }
}
