using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

[Collection(SketchHubCollection.Name)]
public sealed class FrameDecoderHubTests(SketchHubFixture app)
{
    [Fact]
    public async Task LiveFramesAskForThePreviewDecoderAndTheRefinementForTheFullOne()
    {
        var (_, room) = await app.RoomWithClientsAsync(1);
        var last = await room[0].DrawAsync("d", [.. Enumerable.Range(0, 6).Select(i => new StrokePoint(10 + i, 10 + i, 0.5f))]);

        var refined = await room[0].WaitForAsync<FrameMessage>(f => f.IsRefinement);

        Assert.Equal(last, refined.Revision);
        Assert.Equal("full", refined.Decoder);
        Assert.All(room[0].All<FrameMessage>().Where(f => !f.IsRefinement), f => Assert.Equal("preview", f.Decoder));
        Assert.Contains(room[0].All<FrameMessage>(), f => !f.IsRefinement);
    }
}
