using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>The app works whole under its own Content-Security-Policy: nothing it loads or runs is refused.</summary>
[Collection(PaintingAppCollection.Name)]
public sealed class ContentSecurityPolicy(PaintingGeneratorAppFixture app)
{
    [BrowserFact]
    public async Task TheLobbyRoomAndGalleryRunWithoutAPolicyViolation()
    {
        await using var context = await app.NewContextAsync();
        // Recorded from the first script on every page, before the app's own scripts run.
        await context.AddInitScriptAsync(
            "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', e => " +
            "window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));");

        var page = await context.NewPageAsync();
        await page.GotoAsync("");
        await Expect(page.GetByTestId("create-room")).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        Assert.Empty(await ViolationsAsync(page));

        var room = await RoomPage.OpenAsync(context, app.CreateRoom(), "Alice");
        await room.DrawStrokeAsync();
        await room.WaitForFrameAsync(1);
        Assert.Empty(await ViolationsAsync(room.Page));

        await room.Page.GotoAsync("gallery");
        await Expect(room.Page.GetByTestId("preset-card").First).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        Assert.Empty(await ViolationsAsync(room.Page));
    }

    private static Task<string[]> ViolationsAsync(IPage page) => page.EvaluateAsync<string[]>("() => window.__cspViolations");
}
