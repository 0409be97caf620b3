using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Rooms;

public sealed class UndoHistoryTests
{
    [Fact]
    public void UndoAndRedoMoveTheNewestActionBetweenTheStacks()
    {
        var history = new UndoHistory(10);
        history.Push(new DrawAction("a"));
        history.Push(new DrawAction("b"));

        Assert.Equal(new DrawAction("b"), history.Undo());
        Assert.Equal([new DrawAction("b")], history.RedoActions);
        Assert.Equal(new DrawAction("b"), history.Redo());
        Assert.Null(history.Redo());
    }

    [Fact]
    public void ANewActionDropsTheRedoStackAndAFullStackMakesTheOldestPermanent()
    {
        var history = new UndoHistory(2);
        history.Push(new DrawAction("a"));
        history.Push(new DrawAction("b"));
        history.Undo();

        var (dropped, permanent) = history.Push(new DrawAction("c"));
        Assert.Equal([new DrawAction("b")], dropped);
        Assert.Empty(permanent);

        (dropped, permanent) = history.Push(new DrawAction("d"));
        Assert.Empty(dropped);
        Assert.Equal([new DrawAction("a")], permanent);
        Assert.Equal([new DrawAction("c"), new DrawAction("d")], history.UndoActions);
    }
}
