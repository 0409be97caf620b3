using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Reliability;

/// <summary>The in-memory app of <see cref="SketchHubFixture"/> with SQLite persistence in a temp data folder, plus overrides.</summary>
public class PersistentHubFixture : SketchHubFixture
{
    private readonly TempFolder _data = new();

    /// <summary>The data folder.</summary>
    public string DataDirectory => _data.Path;

    /// <summary>Further overrides of a derived fixture.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Overrides => [];

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        base.Settings
            .Append(new("Persistence:Enabled", "true"))
            .Append(new("Persistence:DataDirectory", _data.Path))
            .Concat(Overrides)
        // Later entries override earlier ones with the same key.
        .GroupBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase).Select(g => g.Last());

    /// <summary>
    /// Connects a JSON-protocol client that writes NaN and ±∞ as the strings "NaN", "Infinity" (plain JSON cannot carry them,
    /// and a client that fails mid-message leaves half a message on the wire).
    /// </summary>
    public async Task<SketchClient> ConnectJsonWithNamedFloatsAsync()
    {
        var connection = TestHubConnection.For(Server)
            .AddJsonProtocol(o =>
            {
                o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter());
                o.PayloadSerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
            })
            .Build();
        var client = new SketchClient(connection);
        await connection.StartAsync();
        return client;
    }

    /// <summary>The SQLite room store.</summary>
    public SqliteRoomStore Store => Services.GetRequiredService<SqliteRoomStore>();

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _data.Dispose();
        GC.SuppressFinalize(this);
    }
}
