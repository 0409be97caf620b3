namespace SanaSprint.Inference.Caching;

/// <summary>
/// A small thread-safe least-recently-used cache: at most <see cref="Capacity"/> entries; reading or writing an entry makes
/// it the most recent; adding beyond the capacity evicts the least recent, which <c>onEvicted</c> is told about (outside
/// the cache's lock, so it may take other locks).
/// </summary>
/// <typeparam name="TKey">Key.</typeparam>
/// <typeparam name="TValue">Value.</typeparam>
public sealed class LruCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly LinkedList<KeyValuePair<TKey, TValue>> _recent = new();
    private readonly Dictionary<TKey, LinkedListNode<KeyValuePair<TKey, TValue>>> _index;
    private readonly Action<TKey, TValue>? _onEvicted;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="capacity">Most entries kept; at least 1.</param>
    /// <param name="comparer">Key comparer (default: the key type's).</param>
    /// <param name="onEvicted">Called with each entry evicted for capacity (not for <see cref="Clear"/> or an overwrite).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public LruCache(int capacity, IEqualityComparer<TKey>? comparer = null, Action<TKey, TValue>? onEvicted = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _index = new Dictionary<TKey, LinkedListNode<KeyValuePair<TKey, TValue>>>(comparer);
        _onEvicted = onEvicted;
    }

    /// <summary>Most entries kept.</summary>
    public int Capacity { get; }

    /// <summary>Entries held now.</summary>
    public int Count
    {
        get { lock (_gate) return _index.Count; }
    }

    /// <summary>Looks an entry up; a hit becomes the most recent.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                Touch(node);
                value = node.Value.Value;
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>The entry for <paramref name="key"/>, added from <paramref name="create"/> when absent (under the lock).</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        List<KeyValuePair<TKey, TValue>>? evicted;
        TValue value;
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                Touch(node);
                return node.Value.Value;
            }

            value = create(key);
            evicted = AddLocked(key, value);
        }

        Notify(evicted);
        return value;
    }

    /// <summary>Adds or replaces the entry for <paramref name="key"/>; it becomes the most recent.</summary>
    public void Set(TKey key, TValue value)
    {
        List<KeyValuePair<TKey, TValue>>? evicted = null;
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                node.Value = new(key, value);
                Touch(node);
            }
            else
            {
                evicted = AddLocked(key, value);
            }
        }

        Notify(evicted);
    }

    /// <summary>Drops every entry (without telling <c>onEvicted</c>).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _index.Clear();
            _recent.Clear();
        }
    }

    private void Touch(LinkedListNode<KeyValuePair<TKey, TValue>> node)
    {
        _recent.Remove(node);
        _recent.AddFirst(node);
    }

    private List<KeyValuePair<TKey, TValue>>? AddLocked(TKey key, TValue value)
    {
        _index[key] = _recent.AddFirst(new KeyValuePair<TKey, TValue>(key, value));
        List<KeyValuePair<TKey, TValue>>? evicted = null;
        while (_index.Count > Capacity)
        {
            var last = _recent.Last!;
            _recent.RemoveLast();
            _index.Remove(last.Value.Key);
            (evicted ??= []).Add(last.Value);
        }

        return evicted;
    }

    private void Notify(List<KeyValuePair<TKey, TValue>>? evicted)
    {
        if (evicted is null || _onEvicted is null) return;
        foreach (var (key, value) in evicted) _onEvicted(key, value);
    }
}
