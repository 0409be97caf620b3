using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SanaSprint.Web.Rooms;
using static Microsoft.Playwright.Assertions;

namespace SanaSprint.E2E;

/// <summary>
/// The host's controls and the watch-only link across browsers, against the real app with a painting stand-in for the
/// model: the creator hosts, a watcher sees but cannot draw (neither through the page nor straight through the hub),
/// the host locks drawing, hands the role over and removes a participant.
/// </summary>
[Collection(PaintingAppCollection.Name)]
public sealed class HostsAndWatchers(PaintingGeneratorAppFixture app)
{
    [BrowserFact]
    public async Task AWatchOnlyBrowserSeesTheDrawingButCannotDrawThroughThePageOrTheHub()
    {
        var roomId = app.CreateRoom();
        await using var hostContext = await app.NewContextAsync();
        await using var watcherContext = await app.NewContextAsync();
        var host = await RoomPage.OpenAsync(hostContext, roomId, "Alice");
        var watchLink = await host.Page.GetByTestId("invite-watch").GetAttributeAsync("href") ?? throw new InvalidOperationException("no watch link");
        // Clicking copies the link; the host stays in the room.
        await host.Page.GetByTestId("invite-watch").ClickAsync();
        await Expect(host.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/room/{roomId}(\\?|$)"));
        var watchId = watchLink[(watchLink.LastIndexOf('/') + 1)..];
        Assert.NotEqual(roomId, watchId);

        var watcher = await RoomPage.OpenAsync(watcherContext, watchId, "Wanda");

        // The watcher's page is read-only and never shows the drawing invite.
        await Expect(watcher.Page.GetByTestId("read-only-notice")).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(watcher.Page.GetByTestId("prompt-input")).ToBeDisabledAsync();
        await Expect(watcher.Page.GetByTestId("undo")).ToBeDisabledAsync();
        await Expect(watcher.Page.GetByTestId("clear")).ToBeDisabledAsync();
        await Expect(watcher.Page.GetByTestId("copy-invite")).ToHaveCountAsync(0);
        await Expect(watcher.Page.GetByTestId("lock-drawing")).ToHaveCountAsync(0);
        await Expect(watcher.Page.GetByTestId("my-role")).ToHaveAttributeAsync("data-role", ParticipantRoles.Watcher);
        Assert.DoesNotContain(roomId, await watcher.Page.ContentAsync(), StringComparison.Ordinal);
        await Expect(host.Page.Locator("[data-testid=participants] [data-role=watcher]")).ToContainTextAsync("Wanda", new() { Timeout = RoomPage.TimeoutMs });

        // Drawing on the page draws nothing.
        await watcher.DrawStrokeAsync();
        Assert.Equal(0, await watcher.InkPixelsAsync());

        // A hand-made hub connection from the watcher's browser, joined by the watch link, is refused every change; its
        // pointer (allowed) then reaches the host after anything the refused calls could have caused.
        var refusals = await watcher.Page.EvaluateAsync<string[]>("""
            async watchId => {
                const c = new signalR.HubConnectionBuilder().withUrl("/hubs/sketch").build();
                await c.start();
                await c.invoke("JoinRoom", watchId, "Sneaky");
                const refused = [];
                for (const [method, ...args] of [["BeginStroke", "sneaky", "#000000", 8], ["AppendPoints", "sneaky", [[10, 10, 0.5], [500, 500, 0.5]]],
                                                 ["EndStroke", "sneaky"], ["Clear"], ["SetPrompt", "hijacked"], ["SetLocked", true]]) {
                    try { await c.invoke(method, ...args); refused.push(method + ": accepted"); }
                    catch (e) { refused.push(method + ": " + String(e.message || e)); }
                }
                for (let i = 0; i < 20; i++) { await c.invoke("Cursor", 200 + i, 200 + i); await new Promise(r => setTimeout(r, 60)); }
                return refused;
            }
            """, watchId);
        Assert.Equal(6, refusals.Length);
        Assert.All(refusals, r => Assert.DoesNotContain(": accepted", r));
        Assert.Contains(refusals, r => r.StartsWith("BeginStroke", StringComparison.Ordinal) && r.Contains("watch-only", StringComparison.Ordinal));
        await Expect(host.Page.Locator(".remote-cursor", new() { HasText = "Sneaky" })).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        Assert.Equal(0, await host.InkPixelsAsync());
        var view = View(roomId);
        Assert.Empty(view.Strokes);
        Assert.NotEqual("hijacked", view.Prompt);
        Assert.False(view.Access!.Locked);

        // The host's drawing reaches the watcher.
        await host.DrawStrokeAsync();
        await watcher.WaitForInkAsync(await host.InkPixelsAsync() / 2);
        await watcher.ScreenshotAsync("watcher");
    }

    [BrowserFact]
    public async Task TheHostIsStillTheSameParticipantAndHostAfterReloadingThePage()
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(context, roomId, "Alice");
        var self = alice.Page.Locator("[data-testid=participants] .participant.self");
        var id = await self.GetAttributeAsync("data-participant-id", new() { Timeout = RoomPage.TimeoutMs });
        await Expect(self).ToHaveAttributeAsync("data-role", ParticipantRoles.Host);

        await alice.Page.ReloadAsync();
        await alice.WaitUntilJoinedAsync();

        await Expect(self).ToHaveAttributeAsync("data-participant-id", id!, new() { Timeout = RoomPage.TimeoutMs });
        await Expect(self).ToHaveAttributeAsync("data-role", ParticipantRoles.Host);
        await Expect(alice.Page.GetByTestId("lock-drawing")).ToBeVisibleAsync();
        Assert.Equal(id, View(roomId).Access!.HostId);
    }

    [BrowserFact]
    public async Task TheHostLocksDrawingAndTheOtherBrowserDrawsAgainOnceUnlocked()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync();
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");
        await Expect(bob.Page.Locator("[data-testid=participants] [data-role=host]")).ToContainTextAsync("Alice");
        await Expect(bob.Page.GetByTestId("lock-drawing")).ToHaveCountAsync(0);

        await alice.Page.GetByTestId("lock-drawing").ClickAsync();

        await Expect(bob.Page.GetByTestId("read-only-notice")).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(bob.Page.GetByTestId("prompt-input")).ToBeDisabledAsync();
        await Expect(alice.Page.GetByTestId("lock-drawing")).ToHaveAttributeAsync("aria-pressed", "true");
        await bob.DrawStrokeAsync(0.1, 0.1, 0.4, 0.4);
        Assert.Equal(0, await bob.InkPixelsAsync());
        // The host still draws; its stroke reaches Bob, and the room holds only it.
        await alice.DrawStrokeAsync(0.6, 0.6, 0.9, 0.9);
        await bob.WaitForInkAsync(await alice.InkPixelsAsync() / 2);
        Assert.Single(View(roomId).Strokes);

        await alice.Page.GetByTestId("lock-drawing").ClickAsync();

        await Expect(bob.Page.GetByTestId("read-only-notice")).ToHaveCountAsync(0, new() { Timeout = RoomPage.TimeoutMs });
        await Expect(bob.Page.GetByTestId("prompt-input")).ToBeEnabledAsync();
        await bob.DrawStrokeAsync(0.1, 0.1, 0.4, 0.4);
        for (var i = 0; i < 100 && View(roomId).Strokes.Count < 2; i++) await Task.Delay(100);
        Assert.Equal(2, View(roomId).Strokes.Count);
    }

    [BrowserFact]
    public async Task TheHostHandsTheRoleOverAndTheNewHostRemovesTheOldOneWhoCannotComeBackUntilUnlocked()
    {
        var roomId = app.CreateRoom();
        await using var aliceContext = await app.NewContextAsync();
        await using var bobContext = await app.NewContextAsync();
        var alice = await RoomPage.OpenAsync(aliceContext, roomId, "Alice");
        var bob = await RoomPage.OpenAsync(bobContext, roomId, "Bob");

        // Alice (the creator) hands the host role to Bob.
        var bobEntry = alice.Page.Locator("[data-testid=participants] [data-participant-id]", new() { HasText = "Bob" });
        await bobEntry.GetByTestId("make-host").ClickAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(bob.Page.GetByTestId("lock-drawing")).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(alice.Page.GetByTestId("lock-drawing")).ToHaveCountAsync(0, new() { Timeout = RoomPage.TimeoutMs });
        await Expect(alice.Page.Locator("[data-testid=participants] [data-role=host]")).ToContainTextAsync("Bob");
        await Expect(alice.Page.GetByTestId("remove-participant")).ToHaveCountAsync(0);

        // Bob locks the room and removes Alice.
        await bob.Page.GetByTestId("lock-drawing").ClickAsync();
        await Expect(alice.Page.GetByTestId("read-only-notice")).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        var aliceEntry = bob.Page.Locator("[data-testid=participants] [data-participant-id]", new() { HasText = "Alice" });
        await aliceEntry.GetByTestId("remove-participant").ClickAsync();

        await Expect(alice.Page.GetByTestId("removed-notice")).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(bob.Page.GetByTestId("participants")).Not.ToContainTextAsync("Alice", new() { Timeout = RoomPage.TimeoutMs });
        Assert.DoesNotContain(View(roomId).Participants, p => p.DisplayName == "Alice");

        // Reloading with the same invite is refused while the room is locked…
        await alice.Page.ReloadAsync();
        // The refusal's snackbar is transient, so it is awaited first; the page then stays offline. Which refusal it is
        // depends on whether the page still held its (now dead) rejoin token: "removed" for the rejoin, "locked" for a
        // newcomer's join; both keep Alice out.
        var refusal = new System.Text.RegularExpressions.Regex("takes no newcomers|removed you");
        await Expect(alice.Page.Locator(".mud-snackbar", new() { HasTextRegex = refusal }).First).ToBeVisibleAsync(new() { Timeout = RoomPage.TimeoutMs });
        await Expect(alice.Page.GetByTestId("connection-state")).ToHaveTextAsync("offline", new() { Timeout = RoomPage.TimeoutMs });
        Assert.DoesNotContain(View(roomId).Participants, p => p.DisplayName == "Alice");

        // …and admitted again, as a new participant, once Bob unlocks it.
        await bob.Page.GetByTestId("lock-drawing").ClickAsync();
        await Expect(bob.Page.GetByTestId("lock-drawing")).ToHaveAttributeAsync("aria-pressed", "false", new() { Timeout = RoomPage.TimeoutMs });
        await alice.Page.ReloadAsync();
        await alice.WaitUntilJoinedAsync();
        await Expect(alice.Page.GetByTestId("my-role")).ToHaveAttributeAsync("data-role", ParticipantRoles.Drawer);
        await Expect(bob.Page.GetByTestId("participants")).ToContainTextAsync("Alice", new() { Timeout = RoomPage.TimeoutMs });
    }

    private RoomView View(string roomId) =>
        app.Services.GetRequiredService<IRoomDirectory>().GetViewAsync(roomId).AsTask().GetAwaiter().GetResult();
}
