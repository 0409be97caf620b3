using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Cluster.Redis;
using SanaSprint.Web.Persistence;
using SanaSprint.Web.Presets;
using StackExchange.Redis;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>What the Redis gallery adds to the ownership rules (<c>GalleryOwnershipTests</c>): every node sees one gallery, bounded.</summary>
public sealed class RedisGalleryStoreTests(RedisFixture redis) : IClassFixture<RedisFixture>, IDisposable
{
    private const string Ann = "AnnsBrowserOwnerId0000";
    private const string Bob = "BobsBrowserOwnerId0000";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly string _clusterId = "gallery-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<IConnectionMultiplexer> _connections = [];

    private RedisGalleryStore Node(int maxImageBytes = 4096, int maxKept = 3)
    {
        var connection = ConnectionMultiplexer.Connect(redis.Server.Configuration);
        _connections.Add(connection);
        return new RedisGalleryStore(connection, PresetCatalog.LoadDefault(), Options.Create(new DeploymentOptions { ClusterId = _clusterId }),
            Options.Create(new PersistenceOptions { MaxImageBytes = maxImageBytes, MaxKeptResults = maxKept }), _time);
    }

    [RedisFact]
    public async Task EveryNodeSeesTheSamePresetsKeptFramesAndMemberships()
    {
        var (first, second) = (Node(), Node());
        var preset = await first.SavePresetAsync(new StylePreset { Id = "", Name = " Harbour ", PromptTemplate = "oil painting of {prompt}", Subject = "boats", Steps = 3 }, Ann);
        var kept = await first.KeepResultAsync(new KeptResult { Id = "", RoomId = "room-1", Image = [1, 2, 3, 4], Prompt = "boats", Seed = 7, Steps = 2 }, Ann);
        await first.AddMemberAsync("room-1", Bob);

        var reloaded = Assert.Single(await second.GetPresetsAsync(Ann), p => !p.BuiltIn);
        Assert.Equal((preset.Id, "Harbour", "oil painting of {prompt}", "boats", (int?)3), (reloaded.Id, reloaded.Name, reloaded.PromptTemplate, reloaded.Subject, reloaded.Steps));
        Assert.Equal("oil painting of cats", second.ComposePrompt("cats", preset.Id));
        var result = Assert.Single(await second.GetKeptResultsAsync(Bob)); // Bob joined the room on the other node
        Assert.Equal((kept.Id, 7L, 2, Ann), (result.Id, result.Seed, result.Steps, result.OwnerId));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, result.Image);

        Assert.True(await second.DeletePresetAsync(preset.Id, Ann));
        Assert.DoesNotContain(await first.GetPresetsAsync(Ann), p => !p.BuiltIn);
        await Assert.ThrowsAsync<ArgumentException>(async () => await first.PublishPresetAsync(preset.Id, Ann, true, false));
    }

    [RedisFact]
    public async Task ImagesOverTheSizeLimitAreRefusedAndTheOldestResultsGoFirst()
    {
        var store = Node(maxImageBytes: 4096, maxKept: 3);
        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await store.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = new byte[4097] }, Ann));
        Assert.Contains("4096", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.SavePresetAsync(new StylePreset { Id = "", Name = "n", PromptTemplate = "{prompt}", Thumbnail = new string('A', 8000) }, Ann));
        for (var i = 0; i < 5; i++)
        {
            await store.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = [(byte)i], Seed = i }, Ann);
            _time.Advance(TimeSpan.FromSeconds(1)); // distinct timestamps
        }
        Assert.Equal([4L, 3L, 2L], (await Node().GetKeptResultsAsync(Ann)).Select(k => k.Seed));
    }

    public void Dispose()
    {
        foreach (var connection in _connections) connection.Dispose();
    }
}
