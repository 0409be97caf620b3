using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Persistence;
using SanaSprint.Web.Presets;

namespace SanaSprint.Web.Tests.Presets;

/// <summary>Who sees and changes what in the gallery, for every store (Redis rows skip with the reason where redis-server is absent).</summary>
public sealed class GalleryOwnershipTests(RedisFixture redis) : IDisposable, IClassFixture<RedisFixture>
{
    private const string Ann = "AnnsBrowserOwnerId0000";
    private const string Bob = "BobsBrowserOwnerId0000";
    private const string Cy = "CysBrowserOwnerId00000";
    private readonly TempFolder _data = new();
    private readonly FakeTimeProvider _time = new();
    private readonly string _clusterId = "gallery-" + Guid.NewGuid().ToString("N")[..12];
    private StackExchange.Redis.IConnectionMultiplexer? _redis;

    public static TheoryData<string> Stores => ["memory", "sqlite"];

    private IGalleryStore Open(string kind)
    {
        if (kind == "memory") return new InMemoryGalleryStore(PresetCatalog.LoadDefault(), _time);
        if (kind == "redis")
        {
            _redis ??= StackExchange.Redis.ConnectionMultiplexer.Connect(redis.Server.Configuration);
            return new SanaSprint.Web.Cluster.Redis.RedisGalleryStore(_redis, PresetCatalog.LoadDefault(),
                Options.Create(new SanaSprint.Web.Cluster.DeploymentOptions { ClusterId = _clusterId }), Options.Create(new PersistenceOptions()), _time);
        }
        var options = Options.Create(new PersistenceOptions { DataDirectory = _data.Path });
        return new SqliteGalleryStore(new SanaSprintDatabase(options, NullLogger<SanaSprintDatabase>.Instance), PresetCatalog.LoadDefault(), options, _time);
    }

    private static StylePreset Harbour => new() { Id = "", Name = "Harbour", PromptTemplate = "oil painting of {prompt}", Subject = "my secret harbour" };

    private static KeptResult Frame(string roomId) => new() { Id = "", RoomId = roomId, Image = [1, 2, 3], Prompt = "boats" };

    [Theory]
    [MemberData(nameof(Stores))]
    [RedisInlineData("redis")]
    public async Task APrivatePresetIsSeenWholeByItsOwnerAndByNobodyElse(string kind)
    {
        var store = Open(kind);
        var saved = await store.SavePresetAsync(Harbour, Ann);

        Assert.False(saved.Published);
        Assert.Equal("my secret harbour", Assert.Single(await store.GetPresetsAsync(Ann), p => !p.BuiltIn).Subject);
        Assert.DoesNotContain(await store.GetPresetsAsync(Bob), p => !p.BuiltIn);
        Assert.DoesNotContain(await store.GetPresetsAsync(null), p => !p.BuiltIn);
        Assert.Null(await store.FindPresetAsync(saved.Id, Bob));
        Assert.NotNull(await store.FindPresetAsync(saved.Id, Ann));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    [RedisInlineData("redis")]
    public async Task OnlyTheOwnerDeletesAndAStrangerIsToldWhy(string kind)
    {
        var store = Open(kind);
        var saved = await store.SavePresetAsync(Harbour, Ann);
        await store.PublishPresetAsync(saved.Id, Ann, published: true, includePrompt: false);

        var refused = await Assert.ThrowsAsync<GalleryAccessException>(async () => await store.DeletePresetAsync(saved.Id, Bob));
        var anonymous = await Assert.ThrowsAsync<GalleryAccessException>(async () => await store.DeletePresetAsync(saved.Id, null));

        Assert.Contains("Only the browser that saved preset 'Harbour' can delete it", refused.Message, StringComparison.Ordinal);
        Assert.Contains("no gallery identity", anonymous.Message, StringComparison.Ordinal);
        Assert.NotNull(await store.FindPresetAsync(saved.Id, Bob)); // still there
        await Assert.ThrowsAsync<GalleryAccessException>(async () => await store.DeletePresetAsync("watercolour", Bob));
        Assert.True(await store.DeletePresetAsync(saved.Id, Ann));
        Assert.Null(await store.FindPresetAsync(saved.Id, Ann));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    [RedisInlineData("redis")]
    public async Task PublishingIsTheOwnersActAndLeavesThePromptOutUnlessChosen(string kind)
    {
        var store = Open(kind);
        var saved = await store.SavePresetAsync(Harbour, Ann);

        await Assert.ThrowsAsync<GalleryAccessException>(async () => await store.PublishPresetAsync(saved.Id, Bob, true, true));
        Assert.DoesNotContain(await store.GetPresetsAsync(Bob), p => !p.BuiltIn);

        await store.PublishPresetAsync(saved.Id, Ann, published: true, includePrompt: false);
        var seen = Assert.Single(await store.GetPresetsAsync(Bob), p => !p.BuiltIn);
        Assert.Equal(("Harbour", "oil painting of {prompt}", (string?)null, (string?)null), (seen.Name, seen.PromptTemplate, seen.Subject, seen.OwnerId));
        Assert.Equal("my secret harbour", (await store.FindPresetAsync(saved.Id, Ann))!.Subject); // the owner still has it

        await store.PublishPresetAsync(saved.Id, Ann, published: true, includePrompt: true);
        Assert.Equal("my secret harbour", (await store.FindPresetAsync(saved.Id, Bob))!.Subject);

        await store.PublishPresetAsync(saved.Id, Ann, published: false, includePrompt: true);
        Assert.Null(await store.FindPresetAsync(saved.Id, Bob));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    [RedisInlineData("redis")]
    public async Task KeptFramesAreSeenByTheirOwnerAndTheMembersOfTheirRoomOnly(string kind)
    {
        var store = Open(kind);
        await store.AddMemberAsync("room-1", Ann);
        var kept = await store.KeepResultAsync(Frame("room-1"), Ann);
        await store.AddMemberAsync("room-2", Cy);

        Assert.Equal(Ann, kept.OwnerId);
        Assert.Equal([kept.Id], (await store.GetKeptResultsAsync(Ann)).Select(k => k.Id));
        Assert.Empty(await store.GetKeptResultsAsync(Bob));
        Assert.Empty(await store.GetKeptResultsAsync(Cy));
        Assert.Empty(await store.GetKeptResultsAsync(null));

        await store.AddMemberAsync("room-1", Bob); // Bob joins the room
        Assert.Equal([kept.Id], (await store.GetKeptResultsAsync(Bob)).Select(k => k.Id));
        Assert.Empty(await store.GetKeptResultsAsync(Cy));
        await Assert.ThrowsAsync<GalleryAccessException>(async () => await store.KeepResultAsync(Frame("room-1"), null));
    }

    [Fact]
    public async Task OwnershipAndMembershipSurviveReopeningTheDatabase()
    {
        var saved = await Open("sqlite").SavePresetAsync(Harbour, Ann);
        var first = Open("sqlite");
        await first.KeepResultAsync(Frame("room-1"), Ann);
        await first.AddMemberAsync("room-1", Bob);

        var reopened = Open("sqlite");

        Assert.DoesNotContain(await reopened.GetPresetsAsync(Bob), p => p.Id == saved.Id);
        await Assert.ThrowsAsync<GalleryAccessException>(async () => await reopened.DeletePresetAsync(saved.Id, Bob));
        Assert.Single(await reopened.GetKeptResultsAsync(Bob));
        Assert.Empty(await reopened.GetKeptResultsAsync(Cy));
        Assert.True(await reopened.DeletePresetAsync(saved.Id, Ann));
    }

    [Fact]
    public async Task FramesKeptBeforeFramesHadOwnersAreSeenByTheirRoomsMembersAfterTheUpgrade()
    {
        await Open("sqlite").KeepResultAsync(Frame("room-1"), Ann);
        // Back to the schema before owners: no owner or room columns, no memberships, the migration not yet applied.
        var options = Options.Create(new PersistenceOptions { DataDirectory = _data.Path });
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(new SanaSprintDatabase(options, NullLogger<SanaSprintDatabase>.Instance).ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                DROP TABLE room_members; DROP INDEX IX_kept_results_OwnerId; DROP INDEX IX_kept_results_RoomId;
                ALTER TABLE kept_results DROP COLUMN OwnerId; ALTER TABLE kept_results DROP COLUMN RoomId;
                DELETE FROM __EFMigrationsHistory WHERE MigrationId LIKE '%_AddGalleryOwners';
                """;
            command.ExecuteNonQuery();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var upgraded = Open("sqlite");
        await upgraded.AddMemberAsync("room-1", Bob);

        Assert.Empty(await upgraded.GetKeptResultsAsync(Ann)); // no owner recorded then, and Ann never joined here
        Assert.Equal("room-1", Assert.Single(await upgraded.GetKeptResultsAsync(Bob)).RoomId);
        Assert.Empty(await upgraded.GetKeptResultsAsync(Cy));
    }

    public void Dispose()
    {
        _redis?.Dispose();
        _data.Dispose();
    }
}
