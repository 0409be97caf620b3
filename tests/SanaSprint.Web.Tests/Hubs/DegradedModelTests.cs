using Microsoft.AspNetCore.SignalR.Client;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>An app whose model cannot produce frames.</summary>
public sealed class UnavailableModelFixture : SketchHubFixture
{
    public UnavailableModelFixture() =>
        Generator.Info = Generator.Info with { IsAvailable = false, UnavailableReason = "checkpoint 'models/x' is truncated" };
}

public sealed class DegradedModelTests(UnavailableModelFixture app) : IClassFixture<UnavailableModelFixture>
{
    [Fact]
    public async Task RoomsAreToldWhyFramesAreUnavailableOnceAndGetFramesWhenTheModelReturns()
    {
        var (roomId, room) = await app.RoomWithClientsAsync(1);
        Assert.False(room[0].Snapshot!.Model.IsAvailable);
        Assert.Equal("checkpoint 'models/x' is truncated", room[0].Snapshot!.Model.UnavailableReason);

        var failure = await room[0].WaitForAsync<FrameFailedMessage>();
        Assert.True(failure.Unavailable);
        Assert.Equal("Frames unavailable: checkpoint 'models/x' is truncated", failure.Message);
        await room[0].DrawAsync("s", [new StrokePoint(1, 1, 0.5f)]);
        // Sentinel: a new reason is told after anything the stroke could have caused on this connection. Told once per
        // reason, not per stroke.
        app.Generator.Info = app.Generator.Info with { UnavailableReason = "checkpoint 'models/x' is still truncated" };
        await room[0].WaitForAsync<FrameFailedMessage>(f => f.Message.Contains("still", StringComparison.Ordinal));
        Assert.Equal([failure.Message, "Frames unavailable: checkpoint 'models/x' is still truncated"], room[0].All<FrameFailedMessage>().Select(f => f.Message));
        Assert.Empty(room[0].All<FrameMessage>());

        var health = await app.CreateClient().GetStringAsync("/healthz");
        Assert.Equal("Degraded", health);

        app.Generator.Info = app.Generator.Info with { IsAvailable = true, UnavailableReason = null };
        var frame = await room[0].WaitForAsync<FrameMessage>();
        Assert.Equal(app.Rooms.GetSnapshot(roomId, SketchHub.DescribeModel(app.Generator.Info)).Revision, frame.Revision);
    }
}
