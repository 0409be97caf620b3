using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Persistence;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Reliability;

/// <summary>A <see cref="LocalRoomDirectory"/> over a <see cref="SqliteRoomStore"/> in a data folder, without a web host.</summary>
public sealed class StoreHarness : IAsyncDisposable
{
    /// <summary>The model description joiners get.</summary>
    public static readonly ModelInfo Model = SketchHub.DescribeModel(new GeneratorInfo { ModelName = "test" });

    /// <summary>Opens the store (restoring what the folder holds) and, when <paramref name="start"/>, its write-behind loop.</summary>
    public StoreHarness(string dataDirectory, TimeSpan? flushInterval = null, bool start = true, int? maxImageBytes = null, TimeProvider? time = null,
        RoomOptions? roomOptions = null)
    {
        Options = new PersistenceOptions { DataDirectory = dataDirectory, FlushInterval = flushInterval ?? TimeSpan.FromMilliseconds(100) };
        if (maxImageBytes is { } max) Options.MaxImageBytes = max;
        Database = new SanaSprintDatabase(Microsoft.Extensions.Options.Options.Create(Options), NullLogger<SanaSprintDatabase>.Instance);
        Store = new SqliteRoomStore(Database, Microsoft.Extensions.Options.Options.Create(Options), NullLogger<SqliteRoomStore>.Instance, time);
        Rooms = new SessionRooms(new LocalRoomDirectory(Store, new RoomEditor(roomOptions ?? new RoomOptions(), time)));
        if (start) Store.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    public PersistenceOptions Options { get; }
    public SanaSprintDatabase Database { get; }
    public SqliteRoomStore Store { get; }
    public SessionRooms Rooms { get; }

    /// <summary>Joins <paramref name="session"/> to a room as a present participant.</summary>
    public string Join(string roomId, string session, string name = "tester")
    {
        return Rooms.Join(roomId, session, name);
    }

    /// <summary>Draws a whole stroke of <paramref name="points"/> points along a diagonal.</summary>
    public void Draw(string session, string strokeId, int points = 5, string colour = "#112233", float width = 3f)
    {
        Rooms.Draw(session, strokeId, points, colour, width);
    }

    /// <summary>The number of stored stroke rows of a room with this id, read through a fresh context.</summary>
    public int StoredStrokes(string roomId, string? strokeId = null)
    {
        using var context = Database.CreateContext();
        return context.Strokes.Count(s => s.RoomId == roomId && (strokeId == null || s.Id == strokeId));
    }

    /// <summary>Whether the database holds a room row with this id, read through a fresh context.</summary>
    public bool StoredRoom(string roomId)
    {
        using var context = Database.CreateContext();
        return context.Rooms.Any(r => r.Id == roomId);
    }

    /// <summary>Stops the loop (final flush) and disposes.</summary>
    public async ValueTask DisposeAsync()
    {
        await Store.StopAsync(CancellationToken.None);
        Store.Dispose();
    }
}
