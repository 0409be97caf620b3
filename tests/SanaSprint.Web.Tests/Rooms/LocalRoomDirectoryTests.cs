using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Rooms;

/// <summary>The room contract on one process's <see cref="LocalRoomDirectory"/>, plus what only it has (the render source's event, the in-use room count).</summary>
public sealed class LocalRoomDirectoryTests : RoomDirectoryContract
{
    /// <inheritdoc />
    protected override SessionRooms CreateRooms(RoomOptions options, IModelInfo? model = null, IGalleryStore? gallery = null) =>
        SessionRooms.InMemory(options, model, gallery);

    private static string Join(SessionRooms rooms, string roomId, string session, string name = "ann") => rooms.Join(roomId, session, name);

    [Fact]
    public void EveryAcceptedChangeBumpsTheRevisionAndRaisesRevisionChanged()
    {
        var rooms = Service();
        var roomId = rooms.CreateRoom();
        Join(rooms, roomId, "c1");
        var raised = new List<string>();
        rooms.RevisionChanged += raised.Add;

        var r1 = rooms.BeginStroke("c1", "s", "#000000", 2).Revision;
        var r2 = rooms.AppendPoints("c1", "s", [new(1, 1, 0.5f)]).Revision;
        var r3 = rooms.EndStroke("c1", "s").Revision;
        var r4 = rooms.SetPrompt("c1", "cat").Revision;

        Assert.NotNull(rooms.Cursor("c1", 5, 5)); // presence only: no revision

        Assert.Equal([1L, 2, 3, 4], [r1, r2, r3, r4]);
        Assert.Equal(4, rooms.GetRevision("c1"));
        Assert.Equal(4, raised.Count);
        Assert.All(raised, id => Assert.Equal(roomId, id));
    }

    [Fact]
    public void EmptyRoomsDoNotCountAgainstMaxRoomsAndRoomsInUseDo()
    {
        var rooms = Service(o => o.MaxRooms = 2);
        var first = rooms.CreateRoom();
        Join(rooms, first, "a");
        var second = rooms.CreateRoom();
        rooms.CreateRoom(); // second is empty: it does not count
        Join(rooms, second, "c", "cy");

        Assert.Equal(RoomErrorCodes.Limit, Assert.Throws<RoomException>(() => rooms.CreateRoom()).Code);
    }
}
