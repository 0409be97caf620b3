using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Hubs;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// The frame scheduler's rooms on a GPU node, against fake rooms: a room is rendered here only while its renderer holds
/// it, each pull merges the room's stroke delta into what is held (the state is what the room renders locally), a failed or
/// mismatched pull loses nothing, frames go back to the room, and over <see cref="GpuOptions.MaxRooms"/> the idlest room
/// is released.
/// </summary>
public sealed class ClusterRenderSourceTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeRoomFeeds _feeds = new();

    private ClusterRenderSource Source(int maxRooms = 64) =>
        new(_feeds, Options.Create(new GpuOptions { MaxRooms = maxRooms }), _time, NullLogger<ClusterRenderSource>.Instance);

    private static Func<Task> NoRelease => () => Task.CompletedTask;

    [Fact]
    public async Task ARoomIsReadOnlyWhileItsRendererHoldsItAndEachReadIsTheRoomsLocalState()
    {
        var source = Source();
        var room = _feeds.NewRoom();
        List<string> changed = [];
        source.RevisionChanged += changed.Add;

        var before = await source.GetRenderStateAsync(room.RoomId);
        var revision = room.Draw(room.Ann, "a1");
        source.Notify(room.RoomId, revision, NoRelease);
        var first = await source.GetRenderStateAsync(room.RoomId);
        room.Draw(room.Bob, "b1", 40);
        var second = await source.GetRenderStateAsync(room.RoomId);
        source.Forget(room.RoomId);
        var after = await source.GetRenderStateAsync(room.RoomId);

        Assert.Null(before);
        Assert.Null(after);
        Assert.Equal([room.RoomId], changed);
        Assert.Equal(room.LocalState(), RoomRenderStateSnapshot.Of(second!));
        Assert.Equal(revision, first!.Revision);
        // The second read asked with the first's prefix, so only bob's stroke travelled.
        Assert.Equal([RenderStrokePrefix.None, new RenderStrokePrefix(1, 1)], room.Asked);
        Assert.Equal(2, source.Pulls);
    }

    [Fact]
    public async Task AFailedReadSkipsTheRoomAndTheNextReadStillMerges()
    {
        var source = Source();
        var room = _feeds.NewRoom();
        _feeds.Add(new FlakyFeed(room) { FailNext = true }, room.RoomId);
        source.Notify(room.RoomId, room.Draw(room.Ann, "a1"), NoRelease);

        var failed = await source.GetRenderStateAsync(room.RoomId);
        var next = await source.GetRenderStateAsync(room.RoomId);

        Assert.Null(failed);
        Assert.Equal(1, source.PullFailures);
        Assert.Equal(room.LocalState(), RoomRenderStateSnapshot.Of(next!));
    }

    [Fact]
    public async Task ADeltaThatDoesNotFitWhatIsHeldMakesTheRendererAskForEverything()
    {
        var source = Source();
        var room = _feeds.NewRoom();
        _feeds.Add(new FlakyFeed(room) { KeepTooMany = true }, room.RoomId);
        source.Notify(room.RoomId, room.Draw(room.Ann, "a1"), NoRelease);

        var state = await source.GetRenderStateAsync(room.RoomId);

        Assert.Equal(room.LocalState(), RoomRenderStateSnapshot.Of(state!));
        Assert.Equal([RenderStrokePrefix.None, RenderStrokePrefix.None], room.Asked);
    }

    [Fact]
    public async Task FramesAndFailuresGoBackToTheRoom()
    {
        var source = Source();
        var room = _feeds.NewRoom();
        var frame = new FrameMessage(3, [1, 2, 3], "image/jpeg", 8, 8, 2, 7, "p", "fake", false,
            new FrameTimings(0, 0, 0, 0, [], 0, 0, 0, 0, 1, 0), "full");

        await source.FrameReadyAsync(room.RoomId, frame);
        await source.FrameFailedAsync(room.RoomId, new FrameFailedMessage(4, "no", false));

        Assert.Equal([frame], room.Frames);
        Assert.Equal([4L], room.Failures.Select(f => f.Revision));
    }

    [Fact]
    public void OverMaxRoomsTheRoomWhoseLastRevisionIsOldestIsReleased()
    {
        var source = Source(maxRooms: 2);
        List<string> released = [];
        Func<Task> Release(string id) => () => { released.Add(id); source.Forget(id); return Task.CompletedTask; };

        source.Notify("a", 1, Release("a"));
        _time.Advance(TimeSpan.FromSeconds(1));
        source.Notify("b", 1, Release("b"));
        _time.Advance(TimeSpan.FromSeconds(1));
        source.Notify("a", 2, Release("a")); // a changed since: b is now the idlest
        var heldAtTwo = source.Renderers;
        _time.Advance(TimeSpan.FromSeconds(1));
        source.Notify("c", 1, Release("c"));

        Assert.Equal(2, heldAtTwo);
        Assert.Equal(["b"], released);
        Assert.Equal(["a", "c"], source.RoomIds.Order());
        Assert.Equal(1, source.RoomsShed);
    }

    /// <summary>A feed that fails its next read, or answers one read with a delta keeping more strokes than any renderer holds.</summary>
    private sealed class FlakyFeed(FakeRoomFeed room) : IRoomRenderFeedGrain
    {
        public bool FailNext { get; set; }

        public bool KeepTooMany { get; set; }

        public Task<RenderStateDelta?> GetRenderStateAsync(RenderStrokePrefix known)
        {
            if (FailNext)
            {
                FailNext = false;
                throw new TimeoutException("the room's silo did not answer");
            }
            var delta = room.Delta(known);
            if (!KeepTooMany) return Task.FromResult<RenderStateDelta?>(delta);
            KeepTooMany = false;
            return Task.FromResult<RenderStateDelta?>(delta with { KeptStrokes = 5 });
        }

        public Task FrameReadyAsync(FrameMessage frame) => room.FrameReadyAsync(frame);

        public Task FrameFailedAsync(FrameFailedMessage failure) => room.FrameFailedAsync(failure);
    }
}
