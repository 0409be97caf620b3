using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SanaSprint.Inference.Extensions;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// The whole web app in memory with <see cref="FakeImageGenerator"/> in place of the model (64×64 frames, batch 4), and
/// helpers that connect SignalR .NET clients over the test server's WebSockets.
/// </summary>
public class SketchHubFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>The generator the app uses.</summary>
    public FakeImageGenerator Generator { get; } = new();

    /// <summary>Configuration overrides on top of the app's.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("SchedulerOptions:Width", "64"),
        new("SchedulerOptions:Height", "64"),
        new("SchedulerOptions:BatchSize", "4"),
        new("SchedulerOptions:RefineDelay", "00:00:00.300"),
        new("RoomOptions:MaxParticipantsPerRoom", "3"),
        new("RoomOptions:CursorInterval", "00:00:00"),
        // Hub semantics only: rooms in memory (the SQLite store has its own tests under Reliability/).
        new("Persistence:Enabled", "false"),
    ];

    /// <summary>The app's rooms, driven as the hub drives them.</summary>
    public SessionRooms Rooms => new(Services.GetRequiredService<LocalRoomDirectory>());

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(Settings));
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IImageGenerator>();
            services.AddSingleton<IImageGenerator>(Generator);
            // The real model never loads in these tests.
            var warmup = services.Where(d => d.ImplementationType == typeof(ModelWarmupService)).ToList();
            foreach (var d in warmup) services.Remove(d);
        });
    }

    /// <summary>Connects a client (MessagePack unless <paramref name="json"/>) and starts recording its events.</summary>
    public async Task<SketchClient> ConnectAsync(bool json = false)
    {
        var builder = TestHubConnection.For(Server);
        if (json) builder.AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        else builder.AddMessagePackProtocol();
        var client = new SketchClient(builder.Build());
        await client.Connection.StartAsync();
        return client;
    }

    /// <summary>Creates a room and joins it with <paramref name="count"/> new clients.</summary>
    public async Task<(string RoomId, SketchClient[] Clients)> RoomWithClientsAsync(int count, string prompt = "a test prompt")
    {
        var roomId = Rooms.CreateRoom();
        var clients = new SketchClient[count];
        for (var i = 0; i < count; i++)
        {
            clients[i] = await ConnectAsync();
            await clients[i].JoinAsync(roomId, $"user {i}");
        }
        await clients[0].Connection.InvokeAsync<long>("SetPrompt", prompt);
        return (roomId, clients);
    }

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        _ = Server; // start the host
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();
}

/// <summary>Runs hub tests one after another on one app.</summary>
[CollectionDefinition(Name)]
public sealed class SketchHubCollection : ICollectionFixture<SketchHubFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "SketchHub";
}
