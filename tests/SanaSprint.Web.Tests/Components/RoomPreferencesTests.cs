using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Tests.TestComponents;
using RoomPage = SanaSprint.Web.Components.Pages.Room.Room;

namespace SanaSprint.Web.Tests.Components;

/// <summary>The room page's drawing preferences: read from localStorage, shown on the stage, sent to the canvas, saved.</summary>
public sealed class RoomPreferencesTests : UiTestContext
{
    public RoomPreferencesTests() => Connections.Rooms = Rooms;

    private IRenderedComponent<RoomPage> RenderRoom(string roomId)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/room/{roomId}");
        var cut = Render<RoomPage>(p => p.Add(x => x.RoomId, roomId));
        cut.WaitForAssertion(() => Assert.True(cut.Instance.State.Joined));
        return cut;
    }

    [Fact]
    public void WithNothingStoredTheStageIsSideBySideAndTheCanvasGetsTheDefaults()
    {
        var cut = RenderRoom(Rooms.CreateRoom());

        Assert.Equal("room-stage", cut.Find("[data-testid=room-stage]").ClassName);
        Assert.Equal([DrawingPreferences.Default], Connections.Last!.Preferences);
    }

    [Fact]
    public void StoredPreferencesPutTheFrameUnderTheStrokesAtTheirOpacity()
    {
        JSInterop.Setup<string?>("localStorage.getItem", DrawingPreferences.StorageKey).SetResult("""{"overlay":true,"overlayOpacity":30,"penOnly":false}""");

        var cut = RenderRoom(Rooms.CreateRoom());

        cut.WaitForAssertion(() => Assert.Equal("room-stage overlay", cut.Find("[data-testid=room-stage]").ClassName));
        Assert.Contains("--overlay-opacity: 0.3", cut.Find("[data-testid=room-stage]").GetAttribute("style"), StringComparison.Ordinal);
        Assert.Equal([new DrawingPreferences(true, 30, false)], Connections.Last!.Preferences);
        Assert.Equal("false", cut.Find("[data-testid=pen-only-toggle]").GetAttribute("aria-pressed"));
    }

    [Fact]
    public void TogglingTheOverlaySavesItAndTellsTheCanvas()
    {
        var cut = RenderRoom(Rooms.CreateRoom());

        cut.Find("[data-testid=overlay-toggle]").Click();

        var expected = DrawingPreferences.Default with { Overlay = true };
        Assert.Equal([DrawingPreferences.Default, expected], Connections.Last!.Preferences);
        Assert.Equal("room-stage overlay", cut.Find("[data-testid=room-stage]").ClassName);
        var saved = JSInterop.Invocations["localStorage.setItem"].Where(i => (string?)i.Arguments[0] == DrawingPreferences.StorageKey).ToList();
        Assert.Equal(expected, DrawingPreferences.Parse((string?)Assert.Single(saved).Arguments[1]));
        Assert.Empty(Connections.Last.Calls); // a preference is not a room command
    }
}
