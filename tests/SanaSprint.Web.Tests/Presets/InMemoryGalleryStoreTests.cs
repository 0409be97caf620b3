using SanaSprint.Web.Presets;

namespace SanaSprint.Web.Tests.Presets;

public sealed class InMemoryGalleryStoreTests
{
    private readonly PresetCatalog _catalog = PresetCatalog.LoadDefault();

    private InMemoryGalleryStore NewStore() => new(_catalog, TimeProvider.System);

    private const string Owner = "OwnerOfTheseTestItems0";

    private static StylePreset Mine(string name = "Mine") => new() { Id = "ignored", Name = name, PromptTemplate = "ink sketch of {prompt}", Subject = "a fox" };

    [Fact]
    public async Task SavedPresetsGetAFreshIdAndFollowTheBuiltInsNewestFirst()
    {
        var store = NewStore();

        var first = await store.SavePresetAsync(Mine("First"), Owner);
        var second = await store.SavePresetAsync(Mine("Second"), Owner);
        var all = await store.GetPresetsAsync(Owner);

        Assert.Matches("^u-[0-9a-f]{16}$", first.Id);
        Assert.NotEqual(first.Id, second.Id);
        Assert.False(first.BuiltIn);
        Assert.NotNull(first.CreatedAt);
        Assert.Equal([.. _catalog.Presets.Select(p => p.Id), second.Id, first.Id], all.Select(p => p.Id));
        Assert.Equal(first, await store.FindPresetAsync(first.Id, Owner));
    }

    [Theory]
    [InlineData("", "`name` must not be empty")]
    [InlineData("   ", "`name` must not be empty")]
    public async Task ABadPresetIsRejectedNamingTheField(string name, string expected)
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await NewStore().SavePresetAsync(Mine(name), Owner));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATooLongNameIsRejected()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await NewStore().SavePresetAsync(Mine(new string('x', InMemoryGalleryStore.MaxNameLength + 1)), Owner));

        Assert.Contains($"at most {InMemoryGalleryStore.MaxNameLength}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComposePromptUsesBuiltInAndUserTemplatesAndLeavesUnknownIdsAlone()
    {
        var store = NewStore();
        var mine = await store.SavePresetAsync(Mine(), Owner);

        Assert.Equal("ink sketch of a harbour", store.ComposePrompt("a harbour", mine.Id));
        Assert.Equal(_catalog.Find("neon")!.Compose("a harbour"), store.ComposePrompt("a harbour", "neon"));
        Assert.Equal("a harbour", store.ComposePrompt("a harbour", "gone"));
        Assert.Equal("a harbour", store.ComposePrompt("a harbour", null));
    }

    [Fact]
    public async Task OnlyUserPresetsCanBeDeleted()
    {
        var store = NewStore();
        var mine = await store.SavePresetAsync(Mine(), Owner);

        await Assert.ThrowsAsync<GalleryAccessException>(async () => await store.DeletePresetAsync("watercolour", Owner));
        Assert.True(await store.DeletePresetAsync(mine.Id, Owner));
        Assert.False(await store.DeletePresetAsync(mine.Id, Owner));
        Assert.NotNull(await store.FindPresetAsync("watercolour", Owner));
        Assert.Null(await store.FindPresetAsync(mine.Id, Owner));
    }

    [Fact]
    public async Task KeptResultsAreNewestFirstAndBounded()
    {
        var store = NewStore();
        for (var i = 0; i < InMemoryGalleryStore.MaxKeptResults + 3; i++)
        {
            await store.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = [1, 2, 3], Revision = i }, Owner);
        }

        var kept = await store.GetKeptResultsAsync(Owner);

        Assert.Equal(InMemoryGalleryStore.MaxKeptResults, kept.Count);
        Assert.Equal(InMemoryGalleryStore.MaxKeptResults + 2, kept[0].Revision);
        Assert.Equal(3, kept[^1].Revision);
        Assert.Equal(kept.Count, kept.Select(k => k.Id).Distinct().Count());
    }

    [Fact]
    public async Task AnEmptyOrHugeImageIsNotKept()
    {
        var store = NewStore();

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = [] }, Owner));
        var ex = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await store.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = new byte[InMemoryGalleryStore.MaxImageBytes + 1] }, Owner));
        Assert.Contains("`image` must be at most", ex.Message, StringComparison.Ordinal);
    }
}
