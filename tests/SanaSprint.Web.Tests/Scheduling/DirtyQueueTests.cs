using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Tests.Scheduling;

/// <summary>The dirty queue alone, on a fake clock: order, latest wins, put-back, the refinement timer.</summary>
public sealed class DirtyQueueTests
{
    private static readonly TimeSpan RefineDelay = TimeSpan.FromMilliseconds(500);
    private readonly FakeTimeProvider _time = new();
    private readonly DirtyQueue _queue;

    public DirtyQueueTests() => _queue = new DirtyQueue(RefineDelay, _time);

    private static bool NoneBusy(string roomId) => false;

    [Fact]
    public void DefaultValues()
    {
        Assert.Equal(0, _queue.Count);
        Assert.Empty(_queue.TakeAll());
        Assert.Equal(0, _queue.LastRendered("a"));
        Assert.False(_queue.IsDirty("a"));
        var (due, nextDue) = _queue.TakeDueRefinements(4, NoneBusy);
        Assert.Empty(due);
        Assert.Equal(Timeout.InfiniteTimeSpan, nextDue);
    }

    [Fact]
    public void ARoomThatChangesManyTimesIsQueuedOnce()
    {
        for (var i = 0; i < 5; i++) _queue.MarkDirty("a");
        _queue.MarkDirty("b");
        _queue.MarkDirty("a");

        Assert.Equal(["a", "b"], _queue.TakeAll());
        Assert.Equal(0, _queue.Count);
    }

    [Fact]
    public void RoomsAreTakenFirstChangedFirstAndARenderedRoomGoesToTheBack()
    {
        _queue.MarkDirty("a");
        _queue.MarkDirty("b");
        _queue.MarkDirty("c");
        var first = _queue.TakeAll();
        // a was rendered; b and c were not taken (batch full) and keep their place ahead of a's next change.
        _queue.MarkDirty("a");
        _queue.PutBack([.. first.Skip(1)]);

        Assert.Equal(["a", "b", "c"], first);
        Assert.Equal(["b", "c", "a"], _queue.TakeAll());
    }

    [Fact]
    public void PutBackMovesARoomThatChangedMeanwhileToItsOldPlace()
    {
        _queue.MarkDirty("a");
        _queue.MarkDirty("b");
        var taken = _queue.TakeAll();
        _queue.MarkDirty("c");
        _queue.MarkDirty("b"); // b changed again while taken

        _queue.PutBack(taken);

        Assert.Equal(["a", "b", "c"], _queue.TakeAll());
    }

    [Fact]
    public void ARefinementIsDueOnlyAfterTheRoomHasBeenQuietForTheDelay()
    {
        _queue.MarkDirty("a");
        _queue.TakeAll();
        _queue.Rendered("a", 1, earnsRefinement: true);

        _time.Advance(TimeSpan.FromMilliseconds(200));
        var early = _queue.TakeDueRefinements(4, NoneBusy);
        _time.Advance(TimeSpan.FromMilliseconds(300));
        var due = _queue.TakeDueRefinements(4, NoneBusy);

        Assert.Empty(early.Due);
        Assert.Equal(TimeSpan.FromMilliseconds(300), early.NextDue);
        Assert.Equal(["a"], due.Due);
        // Taken once: no second refinement for the same quiet spell.
        Assert.Empty(_queue.TakeDueRefinements(4, NoneBusy).Due);
    }

    [Fact]
    public void AChangeCancelsThePendingRefinementAndRestartsTheQuietTime()
    {
        _queue.MarkDirty("a");
        _queue.TakeAll();
        _queue.Rendered("a", 1, earnsRefinement: true);
        _time.Advance(TimeSpan.FromMilliseconds(400));

        _queue.MarkDirty("a");
        _time.Advance(TimeSpan.FromMilliseconds(400));

        Assert.Empty(_queue.TakeDueRefinements(4, NoneBusy).Due);
        _queue.TakeAll();
        _queue.Rendered("a", 2, earnsRefinement: true);
        Assert.Equal(RefineDelay - TimeSpan.FromMilliseconds(400), _queue.TakeDueRefinements(4, NoneBusy).NextDue);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(["a"], _queue.TakeDueRefinements(4, NoneBusy).Due);
    }

    [Fact]
    public void ARoomThatChangedAgainBeforeItsFrameEarnsNoRefinement()
    {
        _queue.MarkDirty("a");
        _queue.TakeAll();
        _queue.MarkDirty("a"); // changed while its frame was rendered

        _queue.Rendered("a", 1, earnsRefinement: true);
        _time.Advance(RefineDelay);

        Assert.Empty(_queue.TakeDueRefinements(4, NoneBusy).Due);
    }

    [Fact]
    public void RefinementsAreTakenUpToTheBatchSizeInTheOrderTheyWereEarnedSkippingBusyRooms()
    {
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            _queue.MarkDirty(id);
            _queue.TakeAll();
            _queue.Rendered(id, 1, earnsRefinement: true);
        }
        _time.Advance(RefineDelay);

        var first = _queue.TakeDueRefinements(2, id => id == "a");
        var rest = _queue.TakeDueRefinements(2, NoneBusy);

        Assert.Equal(["b", "c"], first.Due);
        Assert.Equal(["a", "d"], rest.Due);
    }

    [Fact]
    public void LastRenderedOnlyGrows()
    {
        _queue.Rendered("a", 5, earnsRefinement: false);
        _queue.Rendered("a", 3, earnsRefinement: false);

        Assert.Equal(5, _queue.LastRendered("a"));
        Assert.Empty(_queue.TakeDueRefinements(4, NoneBusy).Due);
    }
}
