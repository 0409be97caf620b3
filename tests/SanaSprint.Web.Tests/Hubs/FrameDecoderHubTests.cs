using Microsoft.AspNetCore.SignalR.Client;
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

    [Fact]
    public async Task APreviewFrameAtTheRefinementsOwnStepCountIsStillFollowedByAFullDecode()
    {
        // The room draws at 4 steps = SchedulerOptions:RefineSteps: more steps would not earn a refinement, the preview
        // decode does, so the frame the room rests on (the one downloads and the gallery take) is the DC-AE's.
        var (_, room) = await app.RoomWithClientsAsync(1);
        await room[0].Connection.InvokeAsync<long>("SetSettings", room[0].Snapshot!.Settings with { Steps = 4 });
        var last = await room[0].DrawAsync("d", [.. Enumerable.Range(0, 6).Select(i => new StrokePoint(20 + i, 10 + i, 0.5f))]);

        var refined = await room[0].WaitForAsync<FrameMessage>(f => f.IsRefinement && f.Revision == last);

        Assert.Equal(("full", 4), (refined.Decoder, refined.Steps));
        Assert.Contains(room[0].All<FrameMessage>(), f => !f.IsRefinement && f.Steps == 4 && f.Decoder == "preview");
    }
}
