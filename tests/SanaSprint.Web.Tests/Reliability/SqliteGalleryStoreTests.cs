using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Persistence;
using SanaSprint.Web.Presets;

namespace SanaSprint.Web.Tests.Reliability;

public sealed class SqliteGalleryStoreTests : IDisposable
{
    private readonly TempFolder _data = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private const string Owner = "OwnerOfTheseTestItems0";

    private SqliteGalleryStore Open(int maxImageBytes = 4096, int maxKept = 3)
    {
        var options = Options.Create(new PersistenceOptions { DataDirectory = _data.Path, MaxImageBytes = maxImageBytes, MaxKeptResults = maxKept });
        return new SqliteGalleryStore(new SanaSprintDatabase(options, NullLogger<SanaSprintDatabase>.Instance), PresetCatalog.LoadDefault(), options, _time);
    }

    [Fact]
    public async Task SavedPresetsAndKeptResultsSurviveReopening()
    {
        var first = Open();
        var preset = await first.SavePresetAsync(new StylePreset { Id = "", Name = " Harbour ", PromptTemplate = "oil painting of {prompt}", Subject = "boats", Steps = 3 }, Owner);
        var kept = await first.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = [1, 2, 3, 4], Prompt = "boats", Seed = 7, Steps = 2 }, Owner);

        var second = Open();
        var presets = await second.GetPresetsAsync(Owner);
        var reloaded = Assert.Single(presets, p => !p.BuiltIn);
        Assert.Equal((preset.Id, "Harbour", "oil painting of {prompt}", "boats", (int?)3), (reloaded.Id, reloaded.Name, reloaded.PromptTemplate, reloaded.Subject, reloaded.Steps));
        Assert.Equal("oil painting of cats", second.ComposePrompt("cats", preset.Id));
        var result = Assert.Single(await second.GetKeptResultsAsync(Owner));
        Assert.Equal((kept.Id, 7L, 2), (result.Id, result.Seed, result.Steps));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, result.Image);
        Assert.True(await second.DeletePresetAsync(preset.Id, Owner));
        Assert.DoesNotContain(await Open().GetPresetsAsync(Owner), p => !p.BuiltIn);
    }

    [Fact]
    public async Task ImagesOverTheSizeLimitAreRefusedAndOldResultsAreTrimmed()
    {
        var store = Open(maxImageBytes: 4096, maxKept: 3);
        var ex = await Assert.ThrowsAsync<ArgumentException>(async () => await store.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = new byte[4097] }, Owner));
        Assert.Contains("4096", ex.Message);
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.SavePresetAsync(new StylePreset { Id = "", Name = "n", PromptTemplate = "{prompt}", Thumbnail = new string('A', 8000) }, Owner));
        for (var i = 0; i < 5; i++)
        {
            await store.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = [(byte)i], Seed = i }, Owner);
            _time.Advance(TimeSpan.FromSeconds(1)); // distinct timestamps
        }
        Assert.Equal([4L, 3L, 2L], (await Open().GetKeptResultsAsync(Owner)).Select(k => k.Seed));
    }

    public void Dispose() => _data.Dispose();
}
