using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Reliability;

public sealed class ProcessRestartTests : IDisposable
{
    private readonly TempFolder _data = new("sanasprint-proc");

    private Dictionary<string, string> Environment => new()
    {
        ["Persistence__DataDirectory"] = _data.Path,
        // No model in this test: a checkpoint folder that does not exist makes frames unavailable at once.
        ["Inference__CheckpointPath"] = Path.Combine(_data.Path, "no-checkpoint"),
        ["Inference__CacheDirectory"] = Path.Combine(_data.Path, "cache"),
        ["Inference__Device"] = "cpu",
    };

    [Fact]
    public async Task EveryAcknowledgedChangeSurvivesASigkillRightAfterItsAcknowledgement()
    {
        string roomId;
        RoomSettings settings;
        var acknowledged = new List<StrokeData>();
        await using (var app = await AppProcess.StartAsync(Environment))
        {
            await using var client = await ConnectAsync(app);
            roomId = await client.Connection.InvokeAsync<string>("CreateRoom");
            var snapshot = await client.JoinAsync(roomId, "Ada");
            await client.Connection.InvokeAsync<long>("SetPrompt", "a kite over dunes");
            for (var i = 0; i < 25; i++)
            {
                var points = Enumerable.Range(0, 3 + i % 5).Select(k => new StrokePoint(10 * i + k, 5 * k + 1, 0.5f)).ToArray();
                var id = $"s{i}";
                await client.DrawAsync(id, points);
                acknowledged.Add(new StrokeData(id, snapshot.ParticipantId, "#000000", 4f, points, true));
            }
            settings = snapshot.Settings with { Steps = 3, Seed = 4242, SeedLocked = true };
            await client.Connection.InvokeAsync<long>("SetSettings", settings);
            // Acknowledged means committed: the process dies right away, without any shutdown hook.
            Assert.Equal(137, await app.KillAsync());
        }

        await using var restarted = await AppProcess.StartAsync(Environment);
        await using var joiner = await ConnectAsync(restarted);
        var after = await joiner.JoinAsync(roomId, "Late joiner");
        Assert.Equal(acknowledged.Select(s => (s.Id, s.OwnerId, s.Colour, s.Width, s.Ended)), after.Strokes.Select(s => (s.Id, s.OwnerId, s.Colour, s.Width, s.Ended)));
        for (var i = 0; i < acknowledged.Count; i++) Assert.Equal(acknowledged[i].Points, after.Strokes[i].Points);
        Assert.Equal("a kite over dunes", after.Prompt);
        Assert.Equal(settings, after.Settings);
        Assert.NotEqual(acknowledged[0].OwnerId, after.ParticipantId);
        Assert.Contains("Restored 1 rooms with 25 strokes", restarted.Output);
    }

    private static async Task<SketchClient> ConnectAsync(AppProcess app)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(app.BaseAddress, SketchHub.Path))
            .AddMessagePackProtocol()
            .Build();
        var client = new SketchClient(connection);
        await connection.StartAsync();
        return client;
    }

    public void Dispose() => _data.Dispose();
}
