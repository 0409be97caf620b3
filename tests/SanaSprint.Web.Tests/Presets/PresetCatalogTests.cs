using System.Text;
using SanaSprint.Web.Presets;

namespace SanaSprint.Web.Tests.Presets;

public sealed class PresetCatalogTests
{
    private static PresetCatalog Load(string json) => PresetCatalog.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test.json");

    [Fact]
    public void TheDefaultCatalogHasAtLeastTenStylesWithTheRequiredOnes()
    {
        var catalog = PresetCatalog.LoadDefault();

        Assert.True(catalog.Presets.Count >= 10);
        foreach (var id in new[] { "none", "cinematic", "photographic", "anime", "watercolour", "pixel-art", "3d-render", "ink-sketch", "neon", "fantasy" })
        {
            Assert.NotNull(catalog.Find(id));
        }

        Assert.All(catalog.Presets, p => Assert.True(p.BuiltIn));
        Assert.Equal(catalog.Presets.Count, catalog.Presets.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public void EveryBuiltInThumbnailExistsInTheWebRoot()
    {
        var root = TestPaths.RepoRoot;

        foreach (var preset in PresetCatalog.LoadDefault().Presets)
        {
            Assert.NotNull(preset.Thumbnail);
            Assert.True(File.Exists(Path.Combine(root, "wwwroot", preset.Thumbnail!)), $"{preset.Id}: wwwroot/{preset.Thumbnail} is missing.");
        }
    }

    [Fact]
    public void TheNonePresetLeavesThePromptAlone() =>
        Assert.Equal("a red fox", PresetCatalog.LoadDefault().Find(PresetCatalog.DefaultPresetId)!.Compose("a red fox"));

    [Fact]
    public void FindReturnsNullForUnknownOrNullIds()
    {
        var catalog = PresetCatalog.LoadDefault();

        Assert.Null(catalog.Find("no-such-style"));
        Assert.Null(catalog.Find(null));
    }

    [Theory]
    [InlineData("""{"presets":[]}""", "'presets' must be a non-empty array")]
    [InlineData("""{"presets":[{"id":"Bad Id","name":"x","promptTemplate":"{prompt}"}]}""", "presets[0] ('Bad Id'): 'id' must be a non-empty lowercase slug")]
    [InlineData("""{"presets":[{"id":"a","name":"","promptTemplate":"{prompt}"}]}""", "presets[0] ('a'): 'name' must not be empty")]
    [InlineData("""{"presets":[{"id":"a","name":"A","promptTemplate":" "}]}""", "'promptTemplate' must not be empty")]
    [InlineData("""{"presets":[{"id":"a","name":"A","promptTemplate":"{prompt} and {prompt}"}]}""", "has 2 '{prompt}' slots")]
    [InlineData("""{"presets":[{"id":"a","name":"A","promptTemplate":"{prompt}","steps":6}]}""", "'steps' must be 1–4 but is 6")]
    [InlineData("""{"presets":[{"id":"a","name":"A","promptTemplate":"{prompt}","strength":1.5}]}""", "'strength' must be in [0, 1] but is 1.5")]
    [InlineData("""{"presets":[{"id":"a","name":"A","promptTemplate":"{prompt}"},{"id":"a","name":"B","promptTemplate":"{prompt}"}]}""", "presets[1] ('a'): 'id' is used by an earlier preset")]
    [InlineData("""{"presets":[{"id":"a",""", "not valid preset JSON")]
    public void ABadCatalogFailsNamingTheFileThePresetAndTheField(string json, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Load(json));

        Assert.StartsWith("test.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ModesParseByName()
    {
        var catalog = Load("""{"presets":[{"id":"a","name":"A","promptTemplate":"{prompt}","mode":"Img2Img","strength":0.5}]}""");

        Assert.Equal(Inference.Pipeline.GuidanceMode.Img2Img, catalog.Find("a")!.Mode);
        Assert.Equal(0.5f, catalog.Find("a")!.Strength);
    }
}
