using Microsoft.Extensions.DependencyInjection;
using Bunit;
using Microsoft.AspNetCore.Components;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestComponents;
using RoomPage = SanaSprint.Web.Components.Pages.Room.Room;

namespace SanaSprint.Web.Tests.Components;

public sealed class RoomPageTests : UiTestContext
{
    public RoomPageTests() => Connections.Rooms = Rooms;

    private IRenderedComponent<RoomPage> RenderRoom(string roomId, string query = "")
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/room/{roomId}{query}");
        var cut = Render<RoomPage>(p => p.Add(x => x.RoomId, roomId));
        cut.WaitForAssertion(() => Assert.True(cut.Instance.State.Joined));
        return cut;
    }

    [Fact]
    public void AnUnknownRoomSaysSoAndOpensNoConnection()
    {
        var cut = Render<RoomPage>(p => p.Add(x => x.RoomId, "AAAAAAAAAAAAAAAAAAAAAA"));

        Assert.NotNull(cut.Find("[data-testid=room-not-found]"));
        Assert.Null(Connections.Last);
    }

    [Fact]
    public void JoiningShowsTheRoomsPromptSettingsAndParticipants()
    {
        var roomId = Rooms.CreateRoom();

        var cut = RenderRoom(roomId, "?name=Alice");

        Assert.Equal("Alice", Connections.DisplayName);
        cut.WaitForAssertion(() => Assert.Equal(Rooms.Options.DefaultPrompt, cut.Find("input[data-testid=prompt-input]").GetAttribute("value")));
        Assert.Equal(Rooms.Options.DefaultSteps.ToString(), cut.Find("[data-testid=steps]").GetAttribute("data-value"));
        Assert.Equal("connected", cut.Find("[data-testid=connection-state]").TextContent.Trim());
        Assert.NotNull(cut.Find("canvas[data-testid=sketch-canvas]"));
        Assert.NotNull(cut.Find("img[data-testid=frame-image]"));
    }

    [Fact]
    public void EditingThePromptSendsSetPrompt()
    {
        var cut = RenderRoom(Rooms.CreateRoom());

        cut.Find("input[data-testid=prompt-input]").Input("a castle in the clouds");

        // Sent once the typing pauses (PromptBar.DebounceMs).
        cut.WaitForAssertion(() => Assert.Equal(["a castle in the clouds"], Connections.Last!.Prompts), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void ChangingStepsSendsTheRoomsSettingsWithTheNewSteps()
    {
        var cut = RenderRoom(Rooms.CreateRoom());
        var before = cut.Instance.State.Settings!;

        cut.Find("[data-testid=steps-4]").Click();

        var sent = Assert.Single(Connections.Last!.Settings);
        Assert.Equal(before.ToDomain()! with { Steps = 4 }, sent);
        cut.WaitForAssertion(() => Assert.Equal("4", cut.Find("[data-testid=steps]").GetAttribute("data-value")));
    }

    [Fact]
    public void APromptSetByAnotherParticipantComesFromTheRoomNotTheBrowser()
    {
        var roomId = Rooms.CreateRoom();
        var cut = RenderRoom(roomId);
        Rooms.Join(roomId, "someone-else", "bob");

        cut.InvokeAsync(() => Rooms.SetPrompt("someone-else", "a lighthouse at dusk"));

        cut.WaitForAssertion(() => Assert.Equal("a lighthouse at dusk", cut.Find("input[data-testid=prompt-input]").GetAttribute("value")));
        Assert.Empty(Connections.Last!.Calls); // nothing went through the browser connection
    }

    [Fact]
    public void LockingTheSeedSendsSeedLocked()
    {
        var cut = RenderRoom(Rooms.CreateRoom());

        cut.Find("[data-testid=seed-lock]").Click();

        Assert.True(Assert.Single(Connections.Last!.Settings).SeedLocked);
    }

    [Fact]
    public void PickingAPresetSendsItsSettings()
    {
        var popovers = RenderPopoverProvider();
        var cut = RenderRoom(Rooms.CreateRoom());
        var before = cut.Instance.State.Settings!;

        cut.Find("[data-testid=preset-picker]").MouseDown();
        popovers.WaitForAssertion(() => Assert.Single(popovers.FindAll(".mud-list-item"), i => i.TextContent.Trim() == "Pixel art"), TimeSpan.FromSeconds(10));
        popovers.FindAll(".mud-list-item").Single(i => i.TextContent.Trim() == "Pixel art").Click();

        cut.WaitForAssertion(() => Assert.Single(Connections.Last!.Settings), TimeSpan.FromSeconds(10));
        var sent = Assert.Single(Connections.Last!.Settings);
        Assert.Equal(before.ToDomain()! with { PresetId = "pixel-art", Steps = 1 }, sent);
        Assert.Empty(Connections.Last.Prompts); // a style preset keeps the room's prompt
    }

    [Fact]
    public void APresetInTheQueryIsAppliedOnceJoined()
    {
        var roomId = Rooms.CreateRoom();

        var cut = RenderRoom(roomId, "?preset=ink-sketch");

        cut.WaitForAssertion(() => Assert.Equal("ink-sketch", Assert.Single(Connections.Last!.Settings).PresetId));
        Assert.Equal(1.2f, Connections.Last!.Settings[0].ControlScale);
    }

    [Fact]
    public async Task AUserPresetAlsoSetsItsSavedPromptAndSeed()
    {
        var saved = await Gallery.SavePresetAsync(new Web.Presets.StylePreset
        {
            Id = "", Name = "Foxes", PromptTemplate = "anime artwork of {prompt}", Subject = "a fox", Seed = 1234, Steps = 3,
        }, OwnerId);

        var cut = RenderRoom(Rooms.CreateRoom(), $"?preset={saved.Id}");

        cut.WaitForAssertion(() => Assert.Equal(["a fox"], Connections.Last!.Prompts));
        var sent = Connections.Last!.Settings.Single();
        Assert.Equal((saved.Id, 1234L, true, 3), (sent.PresetId, sent.Seed, sent.SeedLocked, sent.Steps));
    }

    [Fact]
    public void ToolbarCommandsGoThroughTheConnection()
    {
        var cut = RenderRoom(Rooms.CreateRoom());

        cut.Find("[data-testid=undo]").Click();
        cut.Find("[data-testid=redo]").Click();
        cut.Find("[data-testid=tool-eraser]").Click();
        cut.Find("[data-testid=clear]").Click();
        // The confirmation renders in the renderer's next batch, which a concurrent room event may hold back a moment.
        cut.WaitForElement("[data-testid=clear-yes]").Click();

        Assert.Equal(["Undo", "Redo", "SetTool", "Clear"], Connections.Last!.Calls);
        Assert.True(Connections.Last.Tools.Single().IsEraser);
    }

    [Fact]
    public void TheDemoBannerFollowsTheGenerator()
    {
        Generator.Info = Generator.Info with { IsDemo = true, DemoNotice = "Demo checkpoint in use." };

        var cut = RenderRoom(Rooms.CreateRoom());

        Assert.Contains("Demo checkpoint in use.", cut.Find("[data-testid=demo-banner]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnavailableGeneratorShowsWhy()
    {
        Generator.Info = Generator.Info with { IsAvailable = false, UnavailableReason = "No checkpoint at /models/x." };

        var cut = RenderRoom(Rooms.CreateRoom());

        Assert.Contains("No checkpoint at /models/x.", cut.Find("[data-testid=unavailable-banner]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void FramesFromTheConnectionRenderInThePage()
    {
        var cut = RenderRoom(Rooms.CreateRoom());
        var state = Connections.State!;

        cut.InvokeAsync(() => state.ApplyFrame(FrameViewTests.Frame(revision: state.Revision, e2e: 142)));

        cut.WaitForAssertion(() => Assert.Equal("142", cut.Find("[data-testid=latency]").GetAttribute("data-latency-ms")));
        Assert.Equal("up-to-date", cut.Find("[data-testid=render-state]").GetAttribute("data-state"));
    }

    private static string[] ParticipantRows(IRenderedComponent<RoomPage> cut) =>
        [.. cut.FindAll("[data-testid=participants] [data-participant-id]").Select(r =>
            $"{r.QuerySelector(".participant-name")!.TextContent}{(r.QuerySelector(".participant-you") is null ? "" : " (you)")} {r.GetAttribute("style")}")];

    [Fact]
    public void JoiningShowsTheParticipantsPresentWithThisBrowserMarked()
    {
        var roomId = Rooms.CreateRoom();
        Rooms.Join(roomId, "bob-session", "Bob");

        var cut = RenderRoom(roomId, "?name=Alice");

        cut.WaitForAssertion(() => Assert.Equal(["Bob --participant:#e6194b", "Alice (you) --participant:#3cb44b"], ParticipantRows(cut)));
        Assert.Equal("2", cut.Find("[data-testid=participants]").GetAttribute("data-count"));
    }

    [Fact]
    public async Task OthersJoiningLeavingAndRenamingReachTheParticipantsListFromTheRoomNotTheBrowser()
    {
        var roomId = Rooms.CreateRoom();
        var cut = RenderRoom(roomId, "?name=Alice");
        cut.WaitForAssertion(() => Assert.Equal(["Alice (you) --participant:#e6194b"], ParticipantRows(cut)));

        var bob = Rooms.Reserve(roomId, "bob-session", "Bob");
        var (view, _) = await cut.InvokeAsync(() => Rooms.Admit(bob));
        cut.WaitForAssertion(() => Assert.Equal(["Alice (you) --participant:#e6194b", "Bob --participant:#3cb44b"], ParticipantRows(cut)));

        // After a reconnect Bob rejoins as the same participant (same colour) under another name.
        await cut.InvokeAsync(() => Rooms.Admit(Rooms.Reserve(roomId, "bob-again", "Robert", bob.Id, view.RejoinToken)));
        cut.WaitForAssertion(() => Assert.Equal(["Alice (you) --participant:#e6194b", "Robert --participant:#3cb44b"], ParticipantRows(cut)));

        await cut.InvokeAsync(() => Rooms.Leave("bob-again"));
        cut.WaitForAssertion(() => Assert.Equal(["Alice (you) --participant:#e6194b"], ParticipantRows(cut)));
        Assert.Equal("1", cut.Find("[data-testid=participants]").GetAttribute("data-count"));
        Assert.Empty(Connections.Last!.Calls); // nothing went through the browser connection
    }

    [Fact]
    public async Task APresenceEventFromTheBrowserNoLongerDrivesTheList()
    {
        var cut = RenderRoom(Rooms.CreateRoom(), "?name=Alice");
        var json = System.Text.Json.JsonSerializer.Serialize(new PresenceMessage(new ParticipantInfo("p9", "Mallory", "#3cb44b", "Present"),
            [new ParticipantInfo("p9", "Mallory", "#3cb44b", "Present")], 99), RoomState.Json);

        await Assert.ThrowsAsync<ArgumentException>(() => cut.InvokeAsync(() => Connections.State!.Apply("presence", json)));

        cut.Render();
        Assert.Equal(["Alice (you) --participant:#e6194b"], ParticipantRows(cut));
    }

    [Fact]
    public async Task LeavingThePageClosesTheConnection()
    {
        var cut = RenderRoom(Rooms.CreateRoom());

        await cut.Instance.DisposeAsync();

        Assert.True(Connections.Last!.Disposed);
    }

    [Fact]
    public void KeepingTheFrameStoresTheRoomsLatestFrame()
    {
        var roomId = Rooms.CreateRoom();
        var cut = RenderRoom(roomId);
        var image = new byte[] { 0xFF, 0xD8, 0xFF, 1, 2, 3 };
        Rooms.SetLastFrame(roomId, new FrameMessage(3, image, "image/jpeg", 512, 512, 2, 77, "a cat", "demo", false,
            new FrameTimings(0, 0, 0, 0, [1.0], 0, 1, 0, 1, 1)));
        cut.InvokeAsync(() => Connections.State!.ApplyFrame(FrameViewTests.Frame(revision: 3)));

        cut.WaitForElement("[data-testid=keep-frame]:not([disabled])").Click();

        cut.WaitForAssertion(() =>
        {
            var kept = Assert.Single(Gallery.GetKeptResultsAsync(OwnerId).AsTask().Result);
            Assert.Equal((roomId, 77L, 2, "a cat"), (kept.RoomId, kept.Seed, kept.Steps, kept.Prompt));
            Assert.Equal(image, kept.Image);
        });
    }

    [Fact]
    public void APreviewFrameIsNeitherKeptNorDownloadedUntilTheFullDecodeArrives()
    {
        var roomId = Rooms.CreateRoom();
        var cut = RenderRoom(roomId);
        byte[] preview = [0xFF, 0xD8, 0xFF, 9], full = [0xFF, 0xD8, 0xFF, 1, 2, 3];
        Rooms.SetLastFrame(roomId, new FrameMessage(3, preview, "image/jpeg", 512, 512, 2, 77, "a cat", "demo", false,
            new FrameTimings(0, 0, 0, 0, [1.0], 0, 1, 0, 1, 1), Decoder: "preview"));
        cut.InvokeAsync(() => Connections.State!.ApplyFrame(FrameViewTests.Frame(revision: 3) with { Decoder = "preview" }));

        cut.WaitForAssertion(() =>
        {
            Assert.True(cut.Find("[data-testid=keep-frame]").HasAttribute("disabled"));
            Assert.True(cut.Find("[data-testid=download-frame]").HasAttribute("disabled"));
        });

        Rooms.SetLastFrame(roomId, new FrameMessage(3, full, "image/jpeg", 512, 512, 4, 77, "a cat", "demo", true,
            new FrameTimings(0, 0, 0, 0, [1.0], 0, 1, 0, 1, 1), Decoder: "full"));
        cut.InvokeAsync(() => Connections.State!.ApplyFrame(FrameViewTests.Frame(revision: 3, refinement: true)));
        cut.WaitForElement("[data-testid=download-frame]:not([disabled])");
        cut.WaitForElement("[data-testid=keep-frame]:not([disabled])").Click();

        cut.WaitForAssertion(() =>
        {
            var kept = Assert.Single(Gallery.GetKeptResultsAsync(OwnerId).AsTask().Result);
            Assert.Equal(full, kept.Image);
            Assert.Equal(4, kept.Steps);
        });
    }
}
