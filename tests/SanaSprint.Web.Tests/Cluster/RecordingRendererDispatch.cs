using System.Collections.Concurrent;
using SanaSprint.Web.Cluster;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>Records every revision the room grains dispatch to their renderers, per room, in order.</summary>
public sealed class RecordingRendererDispatch : IRendererDispatch
{
    private readonly ConcurrentDictionary<string, List<long>> _dispatched = new(StringComparer.Ordinal);

    /// <summary>The revisions dispatched for a room so far.</summary>
    public long[] Of(string roomId)
    {
        var list = _dispatched.GetOrAdd(roomId, _ => []);
        lock (list) return [.. list];
    }

    /// <inheritdoc />
    public Task RevisionChangedAsync(IGrainFactory grains, string roomId, long revision)
    {
        var list = _dispatched.GetOrAdd(roomId, _ => []);
        lock (list) list.Add(revision);
        return Task.CompletedTask;
    }
}
