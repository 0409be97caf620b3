using SanaSprint.Inference.Caching;

namespace SanaSprint.Inference.Tests.Caching;

public sealed class LruCacheTests
{
    [Fact]
    public void BeyondItsCapacityTheLeastRecentlyUsedEntryGoesAndIsReported()
    {
        var evicted = new List<(string, int)>();
        var cache = new LruCache<string, int>(2, onEvicted: (k, v) => evicted.Add((k, v)));
        cache.Set("a", 1);
        cache.Set("b", 2);
        Assert.True(cache.TryGet("a", out var a)); // "a" is now the most recent
        Assert.Equal(1, a);

        cache.Set("c", 3);

        Assert.Equal([("b", 2)], evicted);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void GetOrAddCreatesOnceAndCountsAsAUse()
    {
        var created = 0;
        var cache = new LruCache<string, string>(2, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("x1", cache.GetOrAdd("x", k => k + ++created));
        Assert.Equal("x1", cache.GetOrAdd("X", k => k + ++created));
        cache.Set("y", "y");
        cache.GetOrAdd("x", k => k + ++created); // a use: "y" is now the least recent
        cache.Set("z", "z");

        Assert.Equal(1, created);
        Assert.False(cache.TryGet("y", out _));
        Assert.True(cache.TryGet("x", out _));
    }

    [Fact]
    public void AnOverwriteReplacesTheValueWithoutEvictingAndClearForgetsEverything()
    {
        var evictions = 0;
        var cache = new LruCache<int, string>(1, onEvicted: (_, _) => evictions++);
        cache.Set(1, "one");
        cache.Set(1, "uno");
        Assert.True(cache.TryGet(1, out var value));
        Assert.Equal("uno", value);
        Assert.Equal(0, evictions);

        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, evictions);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LruCache<int, int>(0));
    }
}
