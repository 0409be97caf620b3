using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Components.Pages.Lobby;
using SanaSprint.Web.Components.Pages.Room;
using SanaSprint.Web.Tests.TestComponents;

namespace SanaSprint.Web.Tests.Components;

public sealed class LobbyTests : UiTestContext
{
    private const string Id = "AbCdEfGhIjKlMnOpQrStUv";

    [Theory]
    [InlineData(Id, Id)]
    [InlineData("  " + Id + "  ", Id)]
    [InlineData("http://localhost:5000/room/" + Id, Id)]
    [InlineData("https://sketch.example/room/" + Id + "/?preset=neon#x", Id)]
    [InlineData("http://localhost:5000/room/short", null)]
    [InlineData("", null)]
    [InlineData("not a room", null)]
    public void AnInviteLinkOrABareIdYieldsTheRoomId(string text, string? expected) =>
        Assert.Equal(expected, Lobby.ExtractRoomId(text));

    [Fact]
    public void CreateRoomSubmitsAFormPostWithTheAntiforgeryTokenSoItWorksBeforeThePageIsInteractive()
    {
        var cut = Render<Lobby>();

        var button = cut.Find("form [data-testid=create-room]");
        Assert.Equal("submit", button.GetAttribute("type"));
        var form = button.Closest("form")!;
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal("/rooms", form.GetAttribute("action"));
        // The token's hidden input (rendered by the real server: see RoomCreationTests).
        Assert.Single(cut.FindComponents<Microsoft.AspNetCore.Components.Forms.AntiforgeryToken>());
    }

    [Fact]
    public void TypingANameSavesItForTheRooms()
    {
        var cut = Render<Lobby>();

        cut.Find("input[data-testid=display-name]").Change("Zoë");

        var saved = JSInterop.Invocations["localStorage.setItem"].Single();
        Assert.Equal([RecentRooms.DisplayNameKey, "Zoë"], saved.Arguments);
    }

    [Fact]
    public void TheNewPageCreatesNothingAndOffersTheForm()
    {
        var before = Rooms.RoomCount;

        var cut = Render<NewRoom>();

        Assert.Equal(before, Rooms.RoomCount);
        Assert.Equal("/rooms", cut.Find("[data-testid=create-room]").Closest("form")!.GetAttribute("action"));
        Assert.DoesNotContain("/room/", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public void JoiningAnExistingRoomByLinkOpensIt()
    {
        var roomId = Rooms.CreateRoom();
        var cut = Render<Lobby>();

        cut.Find("input[data-testid=join-input]").Input($"http://localhost/room/{roomId}");
        cut.Find("[data-testid=join-room]").Click();

        Assert.EndsWith($"/room/{roomId}", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public void JoiningAMissingRoomSaysSoAndStays()
    {
        var cut = Render<Lobby>();

        cut.Find("input[data-testid=join-input]").Input(Id);
        cut.Find("[data-testid=join-room]").Click();

        Assert.Contains("does not exist", cut.Markup, StringComparison.Ordinal);
        Assert.Equal("http://localhost/", Services.GetRequiredService<NavigationManager>().Uri);
    }

    [Fact]
    public void RecentRoomsComeFromBrowserStorage()
    {
        var roomId = Rooms.CreateRoom();
        var stored = RecentRooms.Serialize([new RecentRoom(roomId, "a quiet harbour", DateTimeOffset.UtcNow), new RecentRoom(Id, "gone", DateTimeOffset.UtcNow)]);
        JSInterop.Setup<string?>("localStorage.getItem", RecentRooms.StorageKey).SetResult(stored);
        JSInterop.Setup<string?>("localStorage.getItem", RecentRooms.DisplayNameKey).SetResult("Alice");

        var cut = Render<Lobby>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=recent-room]").Count));
        Assert.Contains("a quiet harbour", cut.Find("[data-testid=recent-rooms]").TextContent, StringComparison.Ordinal);
        Assert.Contains("closed", cut.Find("[data-testid=recent-rooms]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Alice", cut.Find("input[data-testid=display-name]").GetAttribute("value"));
    }

    [Fact]
    public void TheRecentListPutsTheNewestFirstWithoutDuplicatesAndStaysBounded()
    {
        IReadOnlyList<RecentRoom> list = [];
        for (var i = 0; i < RecentRooms.MaxCount + 3; i++)
        {
            list = RecentRooms.Add(list, $"{i:D2}cdEfGhIjKlMnOpQrStUv", $"prompt {i}", DateTimeOffset.UnixEpoch.AddMinutes(i));
        }

        list = RecentRooms.Add(list, list[^1].Id, "again", DateTimeOffset.UnixEpoch.AddHours(1));

        Assert.Equal(RecentRooms.MaxCount, list.Count);
        Assert.Equal("again", list[0].Prompt);
        Assert.Equal(list.Count, list.Select(r => r.Id).Distinct().Count());
        Assert.Equal(list, RecentRooms.Parse(RecentRooms.Serialize(list)));
        Assert.Empty(RecentRooms.Parse("{broken"));
    }
}
