using Microsoft.Extensions.DependencyInjection;
using Bunit;
using Microsoft.AspNetCore.Components;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Components.Pages.Gallery;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Tests.TestComponents;
using SkiaSharp;

namespace SanaSprint.Web.Tests.Components;

public sealed class GalleryTests : UiTestContext
{
    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private IRenderedComponent<Gallery> RenderGallery(string? roomId = null)
    {
        Navigation.NavigateTo(roomId is null ? "/gallery" : $"/gallery?room={roomId}");
        return Render<Gallery>();
    }

    private static byte[] Jpeg(int size)
    {
        using var bitmap = new SKBitmap(size, size);
        bitmap.Erase(new SKColor(200, 40, 90));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    [Fact]
    public void EveryBuiltInPresetShowsAsACardWithThumbnailAndTemplate()
    {
        var cut = RenderGallery();

        var cards = cut.FindAll("[data-testid=preset-card]");
        Assert.True(cards.Count >= 10, $"only {cards.Count} preset cards");
        Assert.Equal(Catalog.Presets.Select(p => p.Id), cards.Select(c => c.GetAttribute("data-preset-id")));
        foreach (var (card, preset) in cards.Zip(Catalog.Presets))
        {
            Assert.Equal(preset.Thumbnail, card.QuerySelector("img")!.GetAttribute("src"));
            Assert.Equal(preset.PromptTemplate, card.QuerySelector("[data-testid=preset-template]")!.TextContent);
        }
    }

    [Fact]
    public void WithoutARoomApplyingIsDisabled()
    {
        var cut = RenderGallery();

        Assert.All(cut.FindAll("[data-testid=apply-preset]"), b => Assert.True(b.HasAttribute("disabled")));
        Assert.Empty(cut.FindAll("[data-testid=save-preset-panel]"));
    }

    [Fact]
    public void ApplyingAPresetLinksToTheRoomWithIt()
    {
        var roomId = Rooms.CreateRoom();
        var cut = RenderGallery(roomId);

        var apply = cut.Find("[data-testid=preset-card][data-preset-id=neon] [data-testid=apply-preset]");

        Assert.Equal($"/room/{roomId}?preset=neon", apply.GetAttribute("href"));
    }

    [Fact]
    public async Task SavingTheRoomStoresItsPromptSettingsAndLatestFrameAsAPreset()
    {
        var roomId = Rooms.CreateRoom();
        var frame = Jpeg(512);
        Rooms.SetLastFrame(roomId, new FrameMessage(1, frame, "image/jpeg", 512, 512, 2, 5, "p", "demo", false, new FrameTimings(0, 0, 0, 0, [1.0], 0, 1, 0, 1, 1)));
        var settings = Rooms.GetSnapshot(roomId, SketchHub.DescribeModel(Generator.Info)).Settings;
        var cut = RenderGallery(roomId);

        cut.Find("input[data-testid=preset-name]").Input("Harbour mornings");
        cut.Find("[data-testid=save-preset]").Click();

        var saved = (await Gallery.GetPresetsAsync(OwnerId)).Single(p => !p.BuiltIn);
        Assert.Equal("Harbour mornings", saved.Name);
        Assert.Equal(Rooms.Options.DefaultPrompt, saved.Subject);
        Assert.Equal((settings.Steps, settings.Seed, settings.Mode, settings.ControlScale), (saved.Steps!.Value, saved.Seed!.Value, saved.Mode!.Value, saved.ControlScale!.Value));
        Assert.StartsWith("data:image/jpeg;base64,", saved.Thumbnail, StringComparison.Ordinal);
        using var thumb = SKBitmap.Decode(Convert.FromBase64String(saved.Thumbnail!["data:image/jpeg;base64,".Length..]));
        Assert.Equal(Thumbnails.DefaultMaxSize, Math.Max(thumb.Width, thumb.Height));
        // The new card shows, marked as the user's.
        cut.WaitForAssertion(() => Assert.Contains("Yours", cut.Find($"[data-preset-id={saved.Id}]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AUserPresetCanBeDeletedButBuiltInsCannot()
    {
        var saved = await Gallery.SavePresetAsync(new StylePreset { Id = "", Name = "Mine", PromptTemplate = "{prompt}" }, OwnerId);
        var cut = RenderGallery();
        Assert.Single(cut.FindAll("[data-testid=delete-preset]"));

        cut.Find($"[data-preset-id={saved.Id}] [data-testid=delete-preset]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll($"[data-preset-id={saved.Id}]")));
        Assert.Equal(Catalog.Presets.Count, cut.FindAll("[data-testid=preset-card]").Count);
    }

    [Fact]
    public async Task KeptFramesShowWithTheirPrompt()
    {
        await Gallery.KeepResultAsync(new KeptResult { Id = "", RoomId = "r", Image = Jpeg(64), Prompt = "a quiet harbour", Seed = 3, Steps = 2, Mode = GuidanceMode.Text, Model = "demo" }, OwnerId);

        var cut = RenderGallery();

        var kept = cut.Find("[data-testid=kept-result]");
        Assert.Contains("a quiet harbour", kept.TextContent, StringComparison.Ordinal);
        Assert.StartsWith("data:image/jpeg;base64,", kept.QuerySelector("img")!.GetAttribute("src"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherBrowsersPresetsAndFramesStayHiddenUntilPublishedAndAreNeverDeletableHere()
    {
        var theirs = await Gallery.SavePresetAsync(new StylePreset { Id = "", Name = "Theirs", PromptTemplate = "{prompt}", Subject = "their secret" }, StrangerId);
        await Gallery.KeepResultAsync(new KeptResult { Id = "", RoomId = "their-room", Image = Jpeg(64), Prompt = "their frame" }, StrangerId);

        var hidden = RenderGallery();
        Assert.Empty(hidden.FindAll($"[data-preset-id={theirs.Id}]"));
        Assert.Empty(hidden.FindAll("[data-testid=kept-result]"));

        await Gallery.PublishPresetAsync(theirs.Id, StrangerId, published: true, includePrompt: false);
        var shown = RenderGallery();
        var card = shown.Find($"[data-preset-id={theirs.Id}]");
        Assert.Contains("Shared", card.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("their secret", shown.Markup, StringComparison.Ordinal);
        Assert.Null(card.QuerySelector("[data-testid=delete-preset]"));
        Assert.Null(card.QuerySelector("[data-testid=publish-preset]"));
    }

    [Fact]
    public async Task TheOwnerPublishesWithoutThePromptUnlessTicked()
    {
        var mine = await Gallery.SavePresetAsync(new StylePreset { Id = "", Name = "Mine", PromptTemplate = "{prompt}", Subject = "my words" }, OwnerId);
        var cut = RenderGallery();

        cut.Find($"[data-preset-id={mine.Id}] [data-testid=publish-preset]").Click();

        cut.WaitForAssertion(() => Assert.Contains("published", cut.Find($"[data-preset-id={mine.Id}]").TextContent, StringComparison.Ordinal));
        var seen = (await Gallery.GetPresetsAsync(StrangerId)).Single(p => p.Id == mine.Id);
        Assert.Null(seen.Subject);
    }
}
