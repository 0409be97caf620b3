using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SanaSprint.Web.Rooms;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>Two browsers, one gallery: what one browser saves and keeps is its own until it publishes it.</summary>
[Collection(PaintingAppCollection.Name)]
public sealed class GalleryOwnership(PaintingGeneratorAppFixture app)
{
    [BrowserFact]
    public async Task AnotherBrowserSeesNeitherAPrivatePresetNorAKeptFrameAndSeesAPublishedPresetWithoutItsPrompt()
    {
        var rooms = app.Services.GetRequiredService<IRoomDirectory>();
        var roomId = app.CreateRoom();
        var roomPrompt = (await rooms.GetViewAsync(roomId)).Prompt;
        await using var annContext = await app.NewContextAsync();
        await using var bobContext = await app.NewContextAsync();

        // Ann draws in the room, keeps the frame, and saves the room's style as a preset.
        var ann = await RoomPage.OpenAsync(annContext, roomId, "Ann");
        await ann.DrawStrokeAsync();
        await ann.WaitForFrameAsync(1);
        var keep = ann.Page.GetByTestId("keep-frame");
        await Expect(keep).ToBeEnabledAsync(new() { Timeout = RoomPage.TimeoutMs });
        await keep.ClickAsync();
        await Expect(ann.Page.GetByText("Frame kept in the gallery")).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });

        var annGallery = ann.Page;
        await annGallery.GotoAsync($"gallery?room={roomId}");
        await WaitUntilInteractiveAsync(annGallery);
        await annGallery.GetByTestId("preset-name").FillAsync("Ann's harbour");
        await annGallery.GetByTestId("save-preset").ClickAsync();
        var annCard = annGallery.Locator("[data-testid=preset-card]", new() { HasText = "Ann's harbour" });
        await Expect(annCard).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(annCard).ToContainTextAsync(roomPrompt);
        await Expect(annCard.GetByTestId("delete-preset")).ToBeVisibleAsync();
        var presetId = await annCard.GetAttributeAsync("data-preset-id") ?? throw new InvalidOperationException("the card has no preset id");
        await Expect(annGallery.GetByTestId("kept-result")).ToHaveCountAsync(1);

        // Bob, a stranger to the room: none of it, and nothing to delete.
        var bob = await bobContext.NewPageAsync();
        await bob.GotoAsync("gallery");
        await Expect(bob.GetByTestId("preset-card").First).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(bob.Locator($"[data-preset-id={presetId}]")).ToHaveCountAsync(0);
        await Expect(bob.GetByTestId("kept-result")).ToHaveCountAsync(0);
        await Expect(bob.GetByTestId("delete-preset")).ToHaveCountAsync(0);
        Assert.DoesNotContain(roomPrompt, await bob.ContentAsync(), StringComparison.Ordinal);

        // Ann publishes (the prompt box left unticked).
        await annCard.GetByTestId("publish-preset").ClickAsync();
        await Expect(annCard.GetByTestId("preset-badge")).ToContainTextAsync("published", new() { Timeout = RoomPage.TimeoutMs });

        await bob.ReloadAsync();
        var bobCard = bob.Locator($"[data-preset-id={presetId}]");
        await Expect(bobCard).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(bobCard).ToContainTextAsync("Ann's harbour");
        await Expect(bobCard).Not.ToContainTextAsync(roomPrompt);
        await Expect(bobCard.GetByTestId("delete-preset")).ToHaveCountAsync(0);
        await Expect(bob.GetByTestId("kept-result")).ToHaveCountAsync(0);
        await bob.ScreenshotAsync(new() { Path = Path.Combine(SketchAppFixture.ArtifactsDirectory, "gallery-stranger.png"), FullPage = true });
    }

    /// <summary>
    /// Waits until the gallery's circuit drives the page: clearing the name disables "Save preset" only once the field is
    /// bound on the server (before that the prerendered button stays as it was).
    /// </summary>
    private static async Task WaitUntilInteractiveAsync(IPage page)
    {
        var name = page.GetByTestId("preset-name");
        var save = page.GetByTestId("save-preset");
        await Expect(name).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        for (var attempt = 0; attempt < 30; attempt++)
        {
            await name.FillAsync("");
            try
            {
                await Expect(save).ToBeDisabledAsync(new() { Timeout = 1000 });
                return;
            }
            catch (PlaywrightException)
            {
                // Not interactive yet.
            }
        }
        throw new TimeoutException("the gallery never became interactive.");
    }
}
