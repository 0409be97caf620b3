using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Inference.Pipeline;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>Two browsers against the app exactly as it starts: the real SANA-Sprint pipeline on the embedded demo checkpoint.</summary>
public sealed partial class RealPipelineFrames(SketchAppFixture app) : IClassFixture<SketchAppFixture>
{
    [BrowserFact]
    public async Task BothBrowsersGetARealFrameAfterAStrokeAndShowItsLatency()
    {
        // The model loads in the background from the start; on a busy machine it may still be loading here.
        var generator = app.Services.GetRequiredService<IImageGenerator>();
        for (var waited = 0; !generator.Info.IsAvailable && generator.Info.UnavailableReason == "The model is still loading." && waited < 600; waited++)
            await Task.Delay(100);
        var info = generator.Info;
        Assert.True(info.IsAvailable, $"the generator is unavailable: {info.UnavailableReason}");
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync();
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");

        await alice.DrawStrokeAsync();
        await bob.WaitForInkAsync(await alice.InkPixelsAsync() / 2);
        var revision = (await app.Services.GetRequiredService<Web.Rooms.IRoomDirectory>()
            .GetViewAsync(roomId)).Revision;

        Assert.True(await alice.WaitForFrameAsync(revision) >= revision);
        Assert.True(await bob.WaitForFrameAsync(revision) >= revision);
        await Expect(alice.Page.GetByTestId("latency")).ToHaveAttributeAsync("data-latency-ms", Number(), new() { Timeout = RoomPage.TimeoutMs });
        await Expect(bob.Page.GetByTestId("latency")).ToHaveAttributeAsync("data-latency-ms", Number(), new() { Timeout = RoomPage.TimeoutMs });
        if (info.IsDemo) await Expect(alice.Page.GetByTestId("demo-banner")).ToBeVisibleAsync();
        Assert.True(File.Exists(await alice.ScreenshotAsync("real-pipeline-alice")));
        Assert.True(File.Exists(await bob.ScreenshotAsync("real-pipeline-bob")));
    }

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex Number();
}
