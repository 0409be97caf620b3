using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Rooms;

/// <summary>
/// The room rules as a room directory applies them, run against every directory: one process's
/// <see cref="LocalRoomDirectory"/> and a web node's directory over an Orleans test cluster.
/// </summary>
public abstract class RoomDirectoryContract
{
    /// <summary>A fresh directory with these limits, model (token counts) and gallery (presets).</summary>
    protected abstract SessionRooms CreateRooms(RoomOptions options, IModelInfo? model = null, IGalleryStore? gallery = null);

    protected SessionRooms Service(Action<RoomOptions>? configure = null)
    {
        var options = new RoomOptions();
        configure?.Invoke(options);
        return CreateRooms(options);
    }

    private static string Join(SessionRooms rooms, string roomId, string session, string name = "ann") => rooms.Join(roomId, session, name);

    private static void Draw(SessionRooms rooms, string session, string strokeId, int points = 3) => rooms.Draw(session, strokeId, points);

    private static string[] Visible(SessionRooms rooms, string roomId) => [.. rooms.View(roomId).Strokes.Select(s => s.Id)];

    [Fact]
    public void RoomIdsAre128RandomBitsInUrlSafeCharacters()
    {
        var rooms = Service();
        var ids = Enumerable.Range(0, 200).Select(_ => rooms.CreateRoom()).ToList();

        Assert.All(ids, id => Assert.Matches("^[A-Za-z0-9_-]{22}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(16, System.Buffers.Text.Base64Url.DecodeFromChars(id).Length));
    }

    [Fact]
    public void UndoHidesOnlyTheCallersNewestStrokeAndRedoBringsItBack()
    {
        var rooms = Service();
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        var bob = Join(rooms, roomId, "b", "bob");
        Draw(rooms, "a", "a1");
        Draw(rooms, "b", "b1");
        Draw(rooms, "a", "a2");

        var undo = rooms.Undo("b");
        Assert.Equal(["b1"], undo!.Hidden);
        Assert.Equal(bob, undo.ParticipantId);
        Assert.Equal(["a1", "a2"], Visible(rooms, roomId));
        Assert.Null(rooms.Undo("b"));

        var redo = rooms.Redo("b");
        Assert.Equal(["a1", "b1", "a2"], redo!.VisibleOrder);
        Assert.Equal(["a1", "b1", "a2"], Visible(rooms, roomId));
    }

    [Fact]
    public void ANewActionDropsTheRedoStackAndItsStrokes()
    {
        var rooms = Service(o => o.MaxStrokesPerRoom = 2);
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        Draw(rooms, "a", "a1");
        Draw(rooms, "a", "a2");
        rooms.Undo("a");

        Draw(rooms, "a", "a3"); // a2 can never come back: its place is free again

        Assert.Null(rooms.Redo("a"));
        Assert.Equal(["a1", "a3"], Visible(rooms, roomId));
        var full = Assert.Throws<RoomException>(() => rooms.BeginStroke("a", "a4", "#000000", 2));
        Assert.Equal(RoomErrorCodes.Limit, full.Code);
    }

    [Fact]
    public void ClearHidesEveryonesStrokesAndOnlyItsAuthorCanUndoIt()
    {
        var rooms = Service();
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        Join(rooms, roomId, "b", "bob");
        Draw(rooms, "a", "a1");
        Draw(rooms, "b", "b1");

        Assert.NotNull(rooms.Clear("b"));
        Assert.Empty(Visible(rooms, roomId));
        Assert.Null(rooms.Clear("b")); // already empty

        // a's undo acts on a's own stroke, which the clear already hides: nothing visible changes.
        Assert.Null(rooms.Undo("a"));
        var undoClear = rooms.Undo("b");
        Assert.Equal(["b1"], undoClear!.Shown.Select(s => s.Id)); // a1 stays undone by its owner
        Assert.Equal(["b1"], Visible(rooms, roomId));
    }

    [Fact]
    public void OnlyTheOwnerMayExtendOrEndAStroke()
    {
        var rooms = Service();
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        Join(rooms, roomId, "b", "bob");
        rooms.BeginStroke("a", "s", "#000000", 2);

        Assert.Equal(RoomErrorCodes.Forbidden, Assert.Throws<RoomException>(() => rooms.AppendPoints("b", "s", [new(1, 1, 0.5f)])).Code);
        Assert.Equal(RoomErrorCodes.Forbidden, Assert.Throws<RoomException>(() => rooms.EndStroke("b", "s")).Code);
        Assert.Equal(RoomErrorCodes.Conflict, Assert.Throws<RoomException>(() => rooms.BeginStroke("b", "s", "#000000", 2)).Code);
        rooms.EndStroke("a", "s");
        Assert.Equal(RoomErrorCodes.Conflict, Assert.Throws<RoomException>(() => rooms.AppendPoints("a", "s", [new(1, 1, 0.5f)])).Code);
    }

    [Theory]
    [InlineData(float.NaN, 1f, 0.5f, "`points[1].x` must be finite")]
    [InlineData(1f, float.PositiveInfinity, 0.5f, "`points[1].y` must be finite")]
    [InlineData(-1f, 1f, 0.5f, "`points[1].x` must be within [0, 1024]")]
    [InlineData(1f, 1025f, 0.5f, "`points[1].y` must be within [0, 1024]")]
    [InlineData(1f, 1f, 1.5f, "`points[1].pressure` must be within [0, 1]")]
    public void BadPointsAreRejectedNamingTheFirstBadOne(float x, float y, float pressure, string expected)
    {
        var rooms = Service();
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        var revision = rooms.BeginStroke("a", "s", "#000000", 2).Revision;

        var ex = Assert.Throws<RoomException>(() => rooms.AppendPoints("a", "s", [new(1, 1, 0.5f), new(x, y, pressure)]));

        Assert.Equal(RoomErrorCodes.InvalidArgument, ex.Code);
        Assert.StartsWith(expected, ex.Message);
        Assert.Equal(revision, rooms.GetRevision("a"));
        Assert.Empty(rooms.View(roomId).Strokes.Single().Points);
    }

    [Fact]
    public void LimitsOnPointsParticipantsAndNamesAreEnforced()
    {
        var rooms = Service(o => { o.MaxPointsPerAppend = 4; o.MaxPointsPerStroke = 6; o.MaxParticipantsPerRoom = 1; o.MaxDisplayNameLength = 5; });
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        rooms.BeginStroke("a", "s", "#000000", 2);
        var four = Enumerable.Repeat(new CanvasPoint(1, 1, 0.5f), 4).ToArray();

        Assert.Equal(RoomErrorCodes.Limit, Assert.Throws<RoomException>(() => rooms.AppendPoints("a", "s", [.. four, four[0]])).Code);
        rooms.AppendPoints("a", "s", four);
        Assert.Equal(RoomErrorCodes.Limit, Assert.Throws<RoomException>(() => rooms.AppendPoints("a", "s", four)).Code);
        Assert.Equal(RoomErrorCodes.RoomFull, Assert.Throws<RoomException>(() => rooms.Reserve(roomId, "b", "bob")).Code);
        var second = rooms.CreateRoom();
        Join(rooms, second, "c", "cy");
        Assert.Contains("`displayName`", Assert.Throws<RoomException>(() => rooms.Reserve(second, "b", "toolongname")).Message);
        Assert.Contains("`displayName`", Assert.Throws<RoomException>(() => rooms.Reserve(second, "b", "<b>")).Message);
        Assert.Contains("`prompt`", Assert.Throws<RoomException>(() => rooms.SetPrompt("a", "bell\a")).Message);
        Assert.Equal(RoomErrorCodes.NotJoined, Assert.Throws<RoomException>(() => rooms.Undo("nobody")).Code);

        // Leaving frees the place.
        rooms.Leave("a");
        Join(rooms, roomId, "b", "bob");
    }

    private SessionRooms TokenCountingService(int maxPromptTokens, FakeImageGenerator? generator = null) =>
        CreateRooms(new RoomOptions { MaxPromptLength = 200, MaxPromptTokens = maxPromptTokens },
            generator ?? new FakeImageGenerator(), new InMemoryGalleryStore(PresetCatalog.LoadDefault(), TimeProvider.System));

    [Fact]
    public void ThePromptIsCheckedInTokensAfterCharacters()
    {
        var rooms = TokenCountingService(maxPromptTokens: 3);
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        var revision = rooms.GetRevision("a");

        var tooMany = Assert.Throws<RoomException>(() => rooms.SetPrompt("a", "a b c d"));
        Assert.Equal((RoomErrorCodes.InvalidArgument, "`prompt` takes 4 tokens; at most 3 (`RoomOptions.MaxPromptTokens`)."), (tooMany.Code, tooMany.Message));
        // Over both limits: the character limit answers first.
        Assert.Contains("MaxPromptLength", Assert.Throws<RoomException>(() => rooms.SetPrompt("a", string.Join(' ', Enumerable.Repeat("word", 60)))).Message);
        Assert.Equal(revision, rooms.GetRevision("a"));

        Assert.Equal("a b c", rooms.SetPrompt("a", "a b c").Prompt);
    }

    [Fact]
    public void WithoutATokenCountOnlyCharactersAreChecked()
    {
        var rooms = TokenCountingService(maxPromptTokens: 3, new FakeImageGenerator { PromptTokens = null }); // e.g. the model still loading
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        Assert.Equal("a b c d e f", rooms.SetPrompt("a", "a b c d e f").Prompt);
    }

    [Fact]
    public void ThePromptComposedWithTheRoomsPresetIsCheckedOnEitherChange()
    {
        // "cinematic film still of {prompt}, dramatic lighting, shallow depth of field, anamorphic lens, film grain, highly detailed"
        // is 16 words around the prompt.
        var rooms = TokenCountingService(maxPromptTokens: 20);
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        rooms.SetPrompt("a", "one two three four five");
        var plain = rooms.View(roomId).Settings;

        // A preset that would take the room's prompt past the limit is refused, naming the preset.
        var refused = Assert.Throws<RoomException>(() => rooms.SetSettings("a", plain with { PresetId = "cinematic" }));
        Assert.Equal("`settings.presetId` 'cinematic' makes the room's prompt take 21 tokens; at most 20 (`RoomOptions.MaxPromptTokens`).", refused.Message);
        Assert.Null(rooms.View(roomId).Settings.PresetId);

        rooms.SetPrompt("a", "one two three four");
        rooms.SetSettings("a", plain with { PresetId = "cinematic" });

        // With the preset in place, a prompt within the limit alone but not within the template is refused.
        var composed = Assert.Throws<RoomException>(() => rooms.SetPrompt("a", "one two three four five"));
        Assert.Equal("`prompt` takes 21 tokens within preset 'cinematic'; at most 20 (`RoomOptions.MaxPromptTokens`).", composed.Message);
        Assert.Equal("one two three four", rooms.View(roomId).Prompt);

        // Other settings changes never fail on the prompt, and dropping the preset frees the room's budget again.
        rooms.SetSettings("a", rooms.View(roomId).Settings with { Steps = 3 });
        rooms.SetSettings("a", plain with { PresetId = null });
        Assert.Equal("one two three four five", rooms.SetPrompt("a", "one two three four five").Prompt);
    }

    [Fact]
    public void APromptChangePicksANewSeedUnlessTheSeedIsLocked()
    {
        var rooms = Service();
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "a");
        var settings = rooms.View(roomId).Settings;

        var seeds = Enumerable.Range(0, 5).Select(i => rooms.SetPrompt("a", $"p{i}").Settings.Seed).ToHashSet();
        Assert.True(seeds.Count > 1);

        rooms.SetSettings("a", settings with { Seed = 42, SeedLocked = true });
        Assert.Equal(42, rooms.SetPrompt("a", "locked").Settings.Seed);
        Assert.Equal(42, rooms.View(roomId).Settings.Seed);
    }

    [Fact]
    public void RejoiningWithTheTokenIsTheSameParticipantAndAWrongTokenIsANewOne()
    {
        var rooms = Service();
        var roomId = rooms.CreateRoom();
        var (first, _) = rooms.Admit(rooms.Reserve(roomId, "old", "ann"));
        Draw(rooms, "old", "mine");
        Assert.Matches("^[A-Za-z0-9_-]{22}$", first.RejoinToken);

        // The old connection has not even closed yet: the new one takes over.
        var (again, presence) = rooms.Admit(rooms.Reserve(roomId, "new", "ann", first.ParticipantId, first.RejoinToken));

        Assert.Equal(first.ParticipantId, again.ParticipantId);
        Assert.Equal(first.RejoinToken, again.RejoinToken);
        Assert.Equal(first.Participants.Single().Colour, presence.Changed.Colour);
        Assert.Single(again.Participants);
        Assert.Equal(RoomErrorCodes.NotJoined, Assert.Throws<RoomException>(() => rooms.Undo("old")).Code);
        Assert.Null(rooms.Leave("old")); // its late close changes nothing
        Assert.Equal(["mine"], rooms.Undo("new")!.Hidden);

        var (stranger, _) = rooms.Admit(rooms.Reserve(roomId, "other", "eve", first.ParticipantId, "not-the-token"));
        Assert.NotEqual(first.ParticipantId, stranger.ParticipantId);
        Assert.NotEqual(first.RejoinToken, stranger.RejoinToken);
        Assert.Equal("", rooms.View(roomId).RejoinToken);
    }

    [Fact]
    public void ConcurrentDrawersLoseNoPointsAndRevisionsStayUnique()
    {
        var rooms = Service();
        var roomId = rooms.CreateRoom();
        var sessions = Enumerable.Range(0, 8).Select(i => $"c{i}").ToArray();
        foreach (var s in sessions) Join(rooms, roomId, s, s);
        var revisions = new System.Collections.Concurrent.ConcurrentBag<long>();

        Parallel.ForEach(sessions, s =>
        {
            revisions.Add(rooms.BeginStroke(s, s, "#000000", 2).Revision);
            for (var i = 0; i < 100; i++) revisions.Add(rooms.AppendPoints(s, s, [new(i, i, 0.5f)]).Revision);
            revisions.Add(rooms.EndStroke(s, s).Revision);
        });

        Assert.Equal(revisions.Count, revisions.Distinct().Count());
        Assert.Equal(revisions.Max(), rooms.GetRevision("c0"));
        Assert.All(rooms.View(roomId).Strokes, s => Assert.Equal(100, s.Points.Count));
    }

    [Fact]
    public async Task OneClientAddressHoldsAtMostItsShareOfARoomsPlaces()
    {
        var rooms = Service(o => { o.MaxParticipantsPerRoom = 16; o.MaxParticipantsPerAddress = 2; });
        var roomId = rooms.CreateRoom();
        var directory = rooms.Rooms;
        for (var i = 0; i < 2; i++)
            await directory.AdmitAsync(await directory.ReserveAsync(roomId, $"same-{i}", $"n{i}", clientAddress: "203.0.113.7"));

        var ex = await Assert.ThrowsAsync<RoomException>(() => directory.ReserveAsync(roomId, "same-2", "n2", clientAddress: "203.0.113.7").AsTask());
        Assert.Equal(RoomErrorCodes.RoomFull, ex.Code);
        Assert.Contains("RoomOptions.MaxParticipantsPerAddress", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RoomException>(() => directory.CheckJoinAsync(roomId, "n2", clientAddress: "203.0.113.7").AsTask());

        // Another address still gets in, and a place from the first address frees up when one of them leaves.
        await directory.AdmitAsync(await directory.ReserveAsync(roomId, "other", "o", clientAddress: "198.51.100.1"));
        await directory.LeaveAsync("same-0");
        await directory.AdmitAsync(await directory.ReserveAsync(roomId, "same-3", "n3", clientAddress: "203.0.113.7"));
    }

    [Fact]
    public async Task AJoinThatWouldBeRefusedForWantOfAPlaceIsRefusedByTheCheckAlone()
    {
        var rooms = Service(o => o.MaxParticipantsPerRoom = 1);
        var full = rooms.CreateRoom();
        Join(rooms, full, "a");

        var ex = await Assert.ThrowsAsync<RoomException>(() => rooms.Rooms.CheckJoinAsync(full, "bob").AsTask());
        Assert.Equal(RoomErrorCodes.RoomFull, ex.Code);
    }
}

