namespace SanaSprint.Tests.Shared;

/// <summary>
/// One <see cref="RedisServer"/> (not append-only) shared by a test class (<c>IClassFixture&lt;RedisFixture&gt;</c>), started on
/// first use, so a class whose Redis tests are skipped starts nothing. Tests keep apart by key prefix.
/// </summary>
public sealed class RedisFixture : IDisposable
{
    private readonly Lazy<RedisServer> _server = new(() => RedisServer.Start(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The server, started on first use.</summary>
    public RedisServer Server => _server.Value;

    /// <summary>Stops the server when it was started.</summary>
    public void Dispose()
    {
        if (_server.IsValueCreated) _server.Value.Dispose();
    }
}
