using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// The room side a renderer sees, without a room grain: a real <see cref="Room"/> edited by <see cref="RoomEditor"/> (two
/// participants, ann and bob), with the stroke generation bumped on every undo, redo and clear, answering
/// <see cref="IRoomRenderFeedGrain.GetRenderStateAsync"/> with <see cref="RenderStrokeSync.Delta"/>, and recording the
/// frames and failures it is handed. Thread-safe (one lock, as a grain's turn).
/// </summary>
public sealed class FakeRoomFeed : IRoomRenderFeedGrain
{
    private readonly Lock _gate = new();
    private readonly RoomEditor _editor;
    private readonly Room _room;
    private readonly List<FrameMessage> _frames = [];
    private readonly List<FrameFailedMessage> _failures = [];
    private readonly List<(Func<FrameMessage, bool> Match, TaskCompletionSource<FrameMessage> Done)> _waiters = [];
    private readonly List<RenderStrokePrefix> _asked = [];
    private long _generation = 1;

    /// <summary>Creates a room with ann and bob in it.</summary>
    /// <param name="time">The room's clock.</param>
    /// <param name="prompt">The room's prompt.</param>
    public FakeRoomFeed(TimeProvider? time = null, string prompt = "a lighthouse")
    {
        _editor = new RoomEditor(new RoomOptions(), time ?? new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), null, null);
        _room = _editor.CreateRoom(RoomEditor.NewRoomId());
        Ann = Join("a", "ann");
        Bob = Join("b", "bob");
        Edit(room => _editor.SetPrompt(room, Ann, prompt));
    }

    /// <summary>The room's id.</summary>
    public string RoomId => _room.Id;

    /// <summary>Ann, a participant.</summary>
    public RoomCaller Ann { get; }

    /// <summary>Bob, a participant.</summary>
    public RoomCaller Bob { get; }

    /// <summary>The room's revision now.</summary>
    public long Revision
    {
        get
        {
            lock (_gate) return _room.Revision;
        }
    }

    /// <summary>The room's stroke generation now.</summary>
    public long Generation
    {
        get
        {
            lock (_gate) return _generation;
        }
    }

    /// <summary>Frames handed back, in order.</summary>
    public IReadOnlyList<FrameMessage> Frames
    {
        get
        {
            lock (_gate) return [.. _frames];
        }
    }

    /// <summary>Failures handed back, in order.</summary>
    public IReadOnlyList<FrameFailedMessage> Failures
    {
        get
        {
            lock (_gate) return [.. _failures];
        }
    }

    /// <summary>The prefixes renderers asked with, in order.</summary>
    public IReadOnlyList<RenderStrokePrefix> Asked
    {
        get
        {
            lock (_gate) return [.. _asked];
        }
    }

    /// <summary>What the room would render locally now.</summary>
    public RoomRenderStateSnapshot LocalState()
    {
        lock (_gate) return RoomRenderStateSnapshot.Of(_editor.RenderState(_room));
    }

    /// <summary>Runs an edit in the room's turn (room exceptions are the caller's); bumps the generation when visibility changed.</summary>
    /// <typeparam name="T">The edit's event.</typeparam>
    /// <param name="edit">The edit.</param>
    /// <returns>The event.</returns>
    public T Edit<T>(Func<Room, T> edit)
    {
        lock (_gate)
        {
            var result = edit(_room);
            if (result is StrokesVisibilityChanged or CanvasCleared) _generation++;
            return result;
        }
    }

    /// <summary>Begins a stroke.</summary>
    public long Begin(RoomCaller who, string strokeId) => Edit(r => _editor.BeginStroke(r, who, strokeId, "#102030", 4f)).Revision;

    /// <summary>Appends points to a stroke.</summary>
    public long Append(RoomCaller who, string strokeId, params CanvasPoint[] points) => Edit(r => _editor.AppendPoints(r, who, strokeId, points)).Revision;

    /// <summary>Ends a stroke.</summary>
    public long End(RoomCaller who, string strokeId) => Edit(r => _editor.EndStroke(r, who, strokeId)).Revision;

    /// <summary>Begins, draws and ends a stroke.</summary>
    public long Draw(RoomCaller who, string strokeId, float x = 10)
    {
        Begin(who, strokeId);
        Append(who, strokeId, new CanvasPoint(x, 10, 0.5f), new CanvasPoint(x + 5, 20, 0.5f));
        return End(who, strokeId);
    }

    /// <summary>Undoes the caller's last stroke (null: nothing to undo).</summary>
    public StrokesVisibilityChanged? Undo(RoomCaller who) => Edit(r => _editor.Undo(r, who));

    /// <summary>Redoes the caller's last undone stroke (null: nothing to redo).</summary>
    public StrokesVisibilityChanged? Redo(RoomCaller who) => Edit(r => _editor.Redo(r, who));

    /// <summary>Clears the canvas (null: nothing to clear).</summary>
    public CanvasCleared? Clear(RoomCaller who) => Edit(r => _editor.Clear(r, who));

    /// <summary>Sets the prompt.</summary>
    public long SetPrompt(string prompt) => Edit(r => _editor.SetPrompt(r, Ann, prompt)).Revision;

    /// <summary>Waits for a frame that matches (frames already handed back count).</summary>
    /// <param name="match">The frame wanted.</param>
    /// <returns>That frame.</returns>
    public Task<FrameMessage> WaitForFrameAsync(Func<FrameMessage, bool> match)
    {
        lock (_gate)
        {
            if (_frames.FirstOrDefault(match) is { } frame) return Task.FromResult(frame);
            var done = new TaskCompletionSource<FrameMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, done));
            return done.Task;
        }
    }

    /// <summary>What a renderer holding <paramref name="known"/> is sent now.</summary>
    public RenderStateDelta Delta(RenderStrokePrefix known)
    {
        lock (_gate)
        {
            _asked.Add(known);
            var state = _editor.RenderState(_room);
            return RenderStrokeSync.Delta(state, _generation, RenderStrokeSync.StableStrokes(_room.Strokes), known);
        }
    }

    /// <inheritdoc />
    public Task<RenderStateDelta?> GetRenderStateAsync(RenderStrokePrefix known) => Task.FromResult<RenderStateDelta?>(Delta(known));

    /// <inheritdoc />
    public Task FrameReadyAsync(FrameMessage frame)
    {
        List<TaskCompletionSource<FrameMessage>> done = [];
        lock (_gate)
        {
            _frames.Add(frame);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!_waiters[i].Match(frame)) continue;
                done.Add(_waiters[i].Done);
                _waiters.RemoveAt(i);
            }
        }
        foreach (var d in done) d.TrySetResult(frame);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task FrameFailedAsync(FrameFailedMessage failure)
    {
        lock (_gate) _failures.Add(failure);
        return Task.CompletedTask;
    }

    private RoomCaller Join(string session, string name)
    {
        var (joining, _) = _editor.Reserve(_room, session, name);
        var (view, _) = _editor.Admit(_room, joining);
        return new RoomCaller(_room.Id, view.ParticipantId, session);
    }
}

/// <summary>A render state with its strokes as comparable values (records compare lists by reference).</summary>
/// <param name="RoomId">The room.</param>
/// <param name="Revision">The revision.</param>
/// <param name="Strokes">Each stroke as id, owner, colour, width, ended and its points.</param>
/// <param name="Prompt">The prompt.</param>
/// <param name="ComposedPrompt">The composed prompt.</param>
/// <param name="Settings">The settings.</param>
/// <param name="Canvas">Canvas width and height.</param>
public sealed record RoomRenderStateSnapshot(string RoomId, long Revision, string Strokes, string Prompt, string ComposedPrompt, FrameSettings Settings, (int, int) Canvas)
{
    /// <summary>The snapshot of a state.</summary>
    public static RoomRenderStateSnapshot Of(SanaSprint.Web.Scheduling.RoomRenderState state) =>
        new(state.RoomId, state.Revision, Describe(state.Strokes), state.Prompt, state.ComposedPrompt, state.Settings, (state.CanvasWidth, state.CanvasHeight));

    /// <summary>Strokes as one comparable string.</summary>
    public static string Describe(IEnumerable<StrokeSnapshot> strokes) =>
        string.Join(" | ", strokes.Select(s => $"{s.Id}/{s.OwnerId}/{s.Colour}/{s.Width}/{(s.Ended ? "ended" : "drawing")}: {string.Join(" ", s.Points)}"));
}

/// <summary>Fake rooms for renderers: each room id to its <see cref="FakeRoomFeed"/> (shared by every silo of a test cluster).</summary>
public sealed class FakeRoomFeeds : IRoomFeedLocator
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IRoomRenderFeedGrain> _feeds = new(StringComparer.Ordinal);

    /// <summary>Adds a room.</summary>
    public T Add<T>(T feed, string roomId) where T : IRoomRenderFeedGrain
    {
        _feeds[roomId] = feed;
        return feed;
    }

    /// <summary>Adds a new room and returns it.</summary>
    public FakeRoomFeed NewRoom(string prompt = "a lighthouse")
    {
        var feed = new FakeRoomFeed(prompt: prompt);
        return Add(feed, feed.RoomId);
    }

    /// <inheritdoc />
    public IRoomRenderFeedGrain Feed(string roomId) =>
        _feeds.TryGetValue(roomId, out var feed) ? feed : throw new InvalidOperationException($"No fake room '{roomId}'.");
}
