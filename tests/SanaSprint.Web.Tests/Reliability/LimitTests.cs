using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Reliability;

/// <summary>The app with small limits, so each can be reached in a few calls.</summary>
public sealed class SmallLimitsFixture : PersistentHubFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Overrides =>
    [
        new("RoomOptions:MaxPointsPerAppend", "8"),
        new("RoomOptions:MaxPointsPerStroke", "20"),
        new("RoomOptions:MaxStrokesPerRoom", "3"),
        new("RoomOptions:MaxPromptLength", "50"),
        new("RoomOptions:MaxPromptTokens", "5"), // FakeImageGenerator counts one token per word
        new("RoomOptions:MaxDisplayNameLength", "10"),
        new("RoomOptions:MaxParticipantsPerRoom", "2"),
        new("HubLimits:MaximumReceiveMessageSize", "16384"),
        new("HubLimits:InvocationsPerSecond", "5"),
        new("HubLimits:InvocationBurst", "40"),
    ];
}

/// <summary>The app with room for three rooms.</summary>
public sealed class ThreeRoomsFixture : PersistentHubFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Overrides => [new("RoomOptions:MaxRooms", "3")];
}

public sealed class LimitTests(SmallLimitsFixture app) : IClassFixture<SmallLimitsFixture>
{
    private static readonly StrokePoint P = new(10, 10, 0.5f);

    [Fact]
    public async Task AMessageOverTheSizeLimitClosesOnlyTheSendersConnection()
    {
        var (_, clients) = await app.RoomWithClientsAsync(2);
        var closed = new TaskCompletionSource<Exception?>();
        clients[0].Connection.Closed += ex => { closed.TrySetResult(ex); return Task.CompletedTask; };
        _ = clients[0].Connection.SendAsync("SetPrompt", new string('x', 20_000));
        var error = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(error); // closed with an error, not gracefully
        Assert.Equal(HubConnectionState.Connected, clients[1].Connection.State);
        await clients[1].DrawAsync("after", [P]);
        Assert.Empty(clients[1].All<ErrorMessage>());
    }

    [Fact]
    public async Task MorePointsThanABatchAllowsAreRefused()
    {
        var (_, c) = await app.RoomWithClientsAsync(2);
        await c[0].Connection.InvokeAsync<long>("BeginStroke", "s", "#000000", 2f);
        var error = await ExpectErrorAsync(c[0], "AppendPoints", "s", Enumerable.Repeat(P, 9).ToArray());
        Assert.Equal((RoomErrorCodes.Limit, true), (error.Code, error.Message.Contains("MaxPointsPerAppend", StringComparison.Ordinal)));
        Assert.Empty(c[1].All<ErrorMessage>());
    }

    [Fact]
    public async Task AStrokeCannotGrowPastItsPointLimit()
    {
        var (roomId, c) = await app.RoomWithClientsAsync(1);
        await c[0].Connection.InvokeAsync<long>("BeginStroke", "long", "#000000", 2f);
        await c[0].Connection.InvokeAsync<long>("AppendPoints", "long", Enumerable.Repeat(P, 8).ToArray());
        await c[0].Connection.InvokeAsync<long>("AppendPoints", "long", Enumerable.Repeat(P, 8).ToArray());
        var error = await ExpectErrorAsync(c[0], "AppendPoints", "long", Enumerable.Repeat(P, 8).ToArray());
        Assert.Equal(RoomErrorCodes.Limit, error.Code);
        Assert.Contains("MaxPointsPerStroke", error.Message, StringComparison.Ordinal);
        Assert.Equal(16, app.Rooms.GetSnapshot(roomId, c[0].Snapshot!.Model).Strokes.Single().Points.Count);
    }

    [Fact]
    public async Task ARoomHoldsAtMostItsStrokeLimit()
    {
        var (roomId, c) = await app.RoomWithClientsAsync(1);
        for (var i = 0; i < 3; i++) await c[0].DrawAsync($"s{i}", [P]);
        var error = await ExpectErrorAsync(c[0], "BeginStroke", "s3", "#000000", 2f);
        Assert.Equal(RoomErrorCodes.Limit, error.Code);
        Assert.Contains("MaxStrokesPerRoom", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, app.Rooms.GetSnapshot(roomId, c[0].Snapshot!.Model).Strokes.Count);
    }

    [Theory]
    [InlineData(float.NaN, 10f, "`points[0].x` must be finite")]
    [InlineData(10f, float.PositiveInfinity, "`points[0].y` must be finite")]
    [InlineData(1024.5f, 10f, "`points[0].x` must be within [0, 1024]")]
    [InlineData(10f, -0.5f, "`points[0].y` must be within [0, 1024]")]
    public async Task CoordinatesMustBeFiniteAndInsideTheCanvas(float x, float y, string expected)
    {
        var (_, c) = await app.RoomWithClientsAsync(1);
        await c[0].Connection.InvokeAsync<long>("BeginStroke", "s", "#000000", 2f);
        var error = await ExpectErrorAsync(c[0], "AppendPoints", "s", new[] { new StrokePoint(x, y, 0.5f) });
        Assert.Equal(RoomErrorCodes.InvalidArgument, error.Code);
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("red", 2f, "`colour`")]
    [InlineData("#00ff0", 2f, "`colour`")]
    [InlineData("#000000", 0.4f, "`width`")]
    [InlineData("#000000", 128.5f, "`width`")]
    [InlineData("#000000", float.NaN, "`width`")]
    public async Task ColourAndWidthMustBeInRange(string colour, float width, string named)
    {
        var (_, c) = await app.RoomWithClientsAsync(1);
        var error = await ExpectErrorAsync(c[0], "BeginStroke", "s", colour, width);
        Assert.Equal(RoomErrorCodes.InvalidArgument, error.Code);
        Assert.StartsWith(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APromptLongerThanTheLimitIsRefused()
    {
        var (roomId, c) = await app.RoomWithClientsAsync(2, prompt: "short");
        await c[0].Connection.InvokeAsync<long>("SetPrompt", new string('a', 50));
        var error = await ExpectErrorAsync(c[0], "SetPrompt", new string('a', 51));
        Assert.Equal(RoomErrorCodes.InvalidArgument, error.Code);
        Assert.Contains("MaxPromptLength", error.Message, StringComparison.Ordinal);
        Assert.Equal(new string('a', 50), app.Rooms.GetSnapshot(roomId, c[0].Snapshot!.Model).Prompt);
        Assert.Empty(c[1].All<ErrorMessage>());
    }

    [Fact]
    public async Task APromptUnderTheCharacterLimitButOverTheTokenLimitIsRefused()
    {
        var (roomId, c) = await app.RoomWithClientsAsync(2, prompt: "short");
        var error = await ExpectErrorAsync(c[0], "SetPrompt", "one two three four five six"); // 27 characters, 6 tokens
        Assert.Equal(RoomErrorCodes.InvalidArgument, error.Code);
        Assert.Equal("`prompt` takes 6 tokens; at most 5 (`RoomOptions.MaxPromptTokens`).", error.Message);
        Assert.Equal("short", app.Rooms.GetSnapshot(roomId, c[0].Snapshot!.Model).Prompt);
        Assert.Empty(c[1].All<ErrorMessage>());

        await c[0].Connection.InvokeAsync<long>("SetPrompt", "one two three four five");
        Assert.Equal("one two three four five", app.Rooms.GetSnapshot(roomId, c[0].Snapshot!.Model).Prompt);
    }

    [Theory]
    [InlineData("elevenchars", "MaxDisplayNameLength")]
    [InlineData("<b>x</b>", "letters, digits")]
    [InlineData("   ", "must not be empty")]
    public async Task DisplayNamesHaveALengthAndCharacterRule(string name, string expected)
    {
        var roomId = app.Rooms.CreateRoom();
        await using var client = await app.ConnectAsync();
        var error = await ExpectErrorAsync(client, "JoinRoom", roomId, name);
        Assert.Equal(RoomErrorCodes.InvalidArgument, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFullRoomTellsTheNextJoinerOnly()
    {
        var (roomId, c) = await app.RoomWithClientsAsync(2);
        await using var third = await app.ConnectAsync();
        var error = await ExpectErrorAsync(third, "JoinRoom", roomId, "third");
        Assert.Equal(RoomErrorCodes.RoomFull, error.Code);
        Assert.All(c, member => Assert.Empty(member.All<ErrorMessage>()));
        await c[1].DisposeAsync(); // a place frees up
        await third.WaitForAsync<ErrorMessage>(); // (already there)
        await WaitUntilAsync(async () =>
        {
            try
            {
                await third.JoinAsync(roomId, "third");
                return true;
            }
            catch (HubException)
            {
                return false;
            }
        });
    }

    [Fact]
    public async Task TooManyCallsPerSecondAreRefusedForThatConnectionOnly()
    {
        var (_, c) = await app.RoomWithClientsAsync(2);
        var refused = 0;
        for (var i = 0; i < 80; i++)
        {
            try
            {
                await c[0].Connection.InvokeAsync("Cursor", 5f, 5f);
            }
            catch (HubException ex) when (ex.Message.Contains("Too many calls", StringComparison.Ordinal))
            {
                refused++;
            }
        }
        // 40 - (calls already made) burst tokens plus ~5/s: most of 80 fast calls are refused.
        Assert.InRange(refused, 30, 80);
        var error = await c[0].WaitForAsync<ErrorMessage>(e => e.Code == HubLimitFilter.RateLimitedCode);
        Assert.Equal("Cursor", error.Method);
        await c[1].Connection.InvokeAsync("Cursor", 6f, 6f); // the other member is not limited
        Assert.Empty(c[1].All<ErrorMessage>());
    }

    internal static async Task<ErrorMessage> ExpectErrorAsync(SketchClient client, string method, params object?[] args)
    {
        var before = client.All<ErrorMessage>().Count;
        await Assert.ThrowsAsync<HubException>(() => client.Connection.InvokeCoreAsync<object>(method, args));
        await WaitUntilAsync(() => Task.FromResult(client.All<ErrorMessage>().Count > before));
        var error = client.All<ErrorMessage>()[before];
        Assert.Equal(method, error.Method);
        return error;
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition did not hold within 10 s.");
            await Task.Delay(50);
        }
    }
}

public sealed class RoomsPerServerTests(ThreeRoomsFixture app) : IClassFixture<ThreeRoomsFixture>
{
    [Fact]
    public async Task TheServerRefusesARoomPastItsLimitOfRoomsInUse()
    {
        await using var client = await app.ConnectAsync();
        var members = new List<SketchClient>();
        try
        {
            while (app.Rooms.Directory.CountRoomsInUse() < 3)
            {
                var roomId = await client.Connection.InvokeAsync<string>("CreateRoom");
                var member = await app.ConnectAsync();
                members.Add(member);
                await member.JoinAsync(roomId, "member");
            }
            var count = app.Rooms.RoomCount;
            var error = await LimitTests.ExpectErrorAsync(client, "CreateRoom");
            Assert.Equal(RoomErrorCodes.Limit, error.Code);
            Assert.Contains("MaxRooms", error.Message, StringComparison.Ordinal);
            Assert.Equal(count, app.Rooms.RoomCount);
        }
        finally
        {
            foreach (var member in members) await member.DisposeAsync();
        }
    }
}
