using Bunit;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestComponents;

namespace SanaSprint.Web.Tests.Components;

public sealed class ParticipantsListTests : UiTestContext
{
    [Fact]
    public void DefaultValues()
    {
        var cut = Render<ParticipantsList>();

        Assert.Empty(cut.Instance.Participants);
        Assert.Null(cut.Instance.SelfId);
        Assert.Equal("0", cut.Find("[data-testid=participants]").GetAttribute("data-count"));
        Assert.Contains("Nobody here yet", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void EachRoleIsShownAndOnlyTheHostGetsMakeHostForDrawersAndRemoveForOthers()
    {
        ParticipantInfo[] people =
        [
            new("p1", "Alice", "#e6194b", "Present", "host"),
            new("p2", "Bob", "#3cb44b", "Present", "drawer"),
            new("p3", "Wanda", "#4363d8", "Present", "watcher"),
        ];
        string? madeHost = null, removed = null;
        var cut = Render<ParticipantsList>(p => p.Add(x => x.Participants, people).Add(x => x.SelfId, "p1").Add(x => x.IsHost, true)
            .Add(x => x.MakeHost, id => madeHost = id).Add(x => x.Remove, id => removed = id));

        var rows = cut.FindAll("[data-participant-id]");
        Assert.Equal(["host", "drawer", "watcher"], rows.Select(r => r.GetAttribute("data-role")));
        Assert.Equal(["host", "drawing", "watching"], rows.Select(r => r.QuerySelector("[data-testid=participant-role]")!.TextContent));
        // Make host only for the drawer; remove for both others; nothing on the host's own entry.
        Assert.Equal(["p2"], cut.FindAll("[data-participant-id]:has([data-testid=make-host])").Select(r => r.GetAttribute("data-participant-id")));
        Assert.Equal(["p2", "p3"], cut.FindAll("[data-participant-id]:has([data-testid=remove-participant])").Select(r => r.GetAttribute("data-participant-id")));
        cut.Find("[data-participant-id=p2] [data-testid=make-host]").Click();
        cut.Find("[data-participant-id=p3] [data-testid=remove-participant]").Click();
        Assert.Equal(("p2", "p3"), (madeHost, removed));

        // Anyone else sees the roles but no controls.
        cut.Render(p => p.Add(x => x.SelfId, "p2").Add(x => x.IsHost, false));
        Assert.Empty(cut.FindAll("[data-testid=make-host]"));
        Assert.Empty(cut.FindAll("[data-testid=remove-participant]"));
        Assert.Equal(3, cut.FindAll("[data-testid=participant-role]").Count);
    }

    [Fact]
    public void EachParticipantShowsWithTheirColourAndOnlyTheCallerIsMarkedYou()
    {
        ParticipantInfo[] people =
        [
            new("p1", "Alice", "#e6194b", "Present"),
            new("p2", "Bob", "#3cb44b", "Present"),
            new("p3", "Carol", "#4363d8", "Present"),
        ];
        var cut = Render<ParticipantsList>(p => p.Add(x => x.Participants, people).Add(x => x.SelfId, "p2"));

        var rows = cut.FindAll("[data-participant-id]");
        Assert.Equal(["p1", "p2", "p3"], rows.Select(r => r.GetAttribute("data-participant-id")));
        Assert.Equal(["Alice", "Bob", "Carol"], rows.Select(r => r.QuerySelector(".participant-name")!.TextContent));
        Assert.Equal(["--participant:#e6194b", "--participant:#3cb44b", "--participant:#4363d8"], rows.Select(r => r.GetAttribute("style")));
        Assert.Equal(["p2"], rows.Where(r => r.QuerySelector(".participant-you") is not null).Select(r => r.GetAttribute("data-participant-id")));
        Assert.Equal("3", cut.Find("[data-testid=participants]").GetAttribute("data-count"));
    }

    [Fact]
    public void AColourThatIsNotHexNeverReachesTheStyleAttribute()
    {
        ParticipantInfo[] people = [new("p1", "Mallory", "red;background:url(x)", "Present")];
        var cut = Render<ParticipantsList>(p => p.Add(x => x.Participants, people));

        Assert.Equal("--participant:#888888", cut.Find("[data-participant-id=p1]").GetAttribute("style"));
    }

    [Fact]
    public void TheSelfMarkerAppearsOnceThisBrowsersIdIsKnown()
    {
        ParticipantInfo[] people = [new("p1", "Alice", "#e6194b", "Present"), new("p2", "Bob", "#3cb44b", "Present")];
        var cut = Render<ParticipantsList>(p => p.Add(x => x.Participants, people));
        Assert.Empty(cut.FindAll(".participant-you"));

        cut.Render(p => p.Add(x => x.Participants, people).Add(x => x.SelfId, "p1"));

        Assert.Equal("p1", cut.Find(".participant.self").GetAttribute("data-participant-id"));
        Assert.Single(cut.FindAll(".participant-you"));
    }

    [Fact]
    public void TheListFollowsPresenceChanges()
    {
        var cut = Render<ParticipantsList>(p => p.Add(x => x.Participants, [new ParticipantInfo("p1", "Alice", "#e6194b", "Present")]));

        cut.Render(p => p.Add(x => x.Participants, [new ParticipantInfo("p1", "Alice", "#e6194b", "Present"), new ParticipantInfo("p4", "Dan", "#f58231", "Present")]));

        Assert.Equal(2, cut.FindAll("[data-participant-id]").Count);
        Assert.Contains("Dan", cut.Find("[data-testid=participants]").TextContent, StringComparison.Ordinal);
    }
}
