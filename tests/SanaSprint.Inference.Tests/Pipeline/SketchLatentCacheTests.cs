using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Tests.Pipeline;

/// <summary>The encoded sketch is reused while the sketch's pixels do not change, and only then.</summary>
public sealed class SketchLatentCacheTests
{
    private static (SanaSprintPipeline Pipeline, FakeComponents Components) Create()
    {
        var c = new FakeComponents();
        return (new SanaSprintPipeline(new InferenceOptions { WarmupSize = 0 }, () => c), c);
    }

    private static List<string> Encodes(FakeComponents c)
    {
        lock (c.Calls) return c.Calls.Where(x => x.StartsWith("encode:", StringComparison.Ordinal)).ToList();
    }

    [Theory]
    [InlineData(GuidanceMode.ControlNet)]
    [InlineData(GuidanceMode.Img2Img)]
    public async Task SameSketchEncodesOnceAcrossPromptSettingsAndRefinementAndAgainWhenItChanges(GuidanceMode mode)
    {
        var (p, c) = Create();
        var live = new GenerationRequest { Prompt = "a cat", Width = 64, Height = 64, Steps = 2, Seed = 1, Mode = mode, Sketch = SanaSprintPipelineTests.Sketch(48, 0) };
        await p.GenerateAsync([live]);
        Assert.Equal(["encode:1"], Encodes(c));

        // A refinement frame, a new prompt, seed, strength and scale: the same drawing, so no encoder run.
        await p.GenerateAsync([live with { Steps = 4 }]);
        await p.GenerateAsync([live with { Prompt = "a dog", Seed = 7, Strength = 0.3f, ControlScale = 0.5f, GuidanceScale = 3f }]);
        // The same pixels in a new array (the scheduler rasterises every frame anew) are the same sketch.
        await p.GenerateAsync([live with { Sketch = live.Sketch! with { Pixels = (byte[])live.Sketch.Pixels.Clone() } }]);
        Assert.Equal(["encode:1"], Encodes(c));

        // One changed pixel is a new sketch.
        var changed = (byte[])live.Sketch.Pixels.Clone();
        changed[^1] ^= 0xFF;
        await p.GenerateAsync([live with { Sketch = live.Sketch with { Pixels = changed } }]);
        Assert.Equal(["encode:1", "encode:1"], Encodes(c));

        // Another frame size is another latent.
        await p.GenerateAsync([live with { Width = 32, Height = 32 }]);
        Assert.Equal(3, Encodes(c).Count);
    }

    [Fact]
    public async Task ControlNetAndImg2ImgOfOneSketchAreEncodedSeparately()
    {
        var (p, c) = Create();
        var request = new GenerationRequest { Prompt = "a", Width = 64, Height = 64, Steps = 1, Mode = GuidanceMode.ControlNet, Sketch = SanaSprintPipelineTests.Sketch(48, 1) };
        await p.GenerateAsync([request]);
        await p.GenerateAsync([request with { Mode = GuidanceMode.Img2Img }]);
        await p.GenerateAsync([request with { Mode = GuidanceMode.Img2Img, Prompt = "b" }]);
        Assert.Equal(2, Encodes(c).Count);
    }

    [Fact]
    public async Task ABatchEncodesOnlyItsNewSketchesOnceEach()
    {
        var (p, c) = Create();
        var a = new GenerationRequest { Prompt = "a", Width = 64, Height = 64, Steps = 1, Seed = 1, Mode = GuidanceMode.ControlNet, Sketch = SanaSprintPipelineTests.Sketch(48, 0) };
        await p.GenerateAsync([a]);
        var b = a with { Prompt = "b", Seed = 2, Sketch = SanaSprintPipelineTests.Sketch(48, 1) };
        await p.GenerateAsync([a with { Prompt = "c" }, b, b with { Seed = 3 }]);
        // Sketch A was cached; B appears twice and is encoded once.
        Assert.Equal(["encode:1", "encode:1"], Encodes(c));
    }

    [Theory]
    [InlineData(GuidanceMode.ControlNet)]
    [InlineData(GuidanceMode.Img2Img)]
    public async Task FramesFromCachedLatentsEqualFramesThatEncodedTheirSketch(GuidanceMode mode)
    {
        var (warm, _) = Create();
        var a = new GenerationRequest { Prompt = "a", Width = 64, Height = 64, Steps = 2, Seed = 1, Mode = mode, Sketch = SanaSprintPipelineTests.Sketch(48, 0), ControlScale = 0.7f };
        var b = a with { Prompt = "b", Seed = 2, Sketch = SanaSprintPipelineTests.Sketch(48, 2) };
        await warm.GenerateAsync([a]);
        await warm.GenerateAsync([b]);
        var cached = await warm.GenerateAsync([a with { Prompt = "c" }, b with { Steps = 2, Seed = 5 }]);

        var (cold, coldComponents) = Create();
        var fresh = await cold.GenerateAsync([a with { Prompt = "c" }, b with { Steps = 2, Seed = 5 }]);
        Assert.Single(Encodes(coldComponents));
        Assert.Equal(fresh[0].Image.Pixels, cached[0].Image.Pixels);
        Assert.Equal(fresh[1].Image.Pixels, cached[1].Image.Pixels);
    }

    [Fact]
    public void KeyNamesContentSizeUseAndEncoder()
    {
        var sketch = SanaSprintPipelineTests.Sketch(16, 0);
        var key = SketchLatentCache.KeyOf(sketch, 64, 64, control: true, FrameDecoder.Full);
        Assert.Equal(key, SketchLatentCache.KeyOf(sketch with { Pixels = (byte[])sketch.Pixels.Clone() }, 64, 64, true, FrameDecoder.Full));
        Assert.NotEqual(key, SketchLatentCache.KeyOf(sketch, 64, 64, true, FrameDecoder.Preview));
        Assert.NotEqual(key, SketchLatentCache.KeyOf(sketch, 64, 64, false, FrameDecoder.Full));
        Assert.NotEqual(key, SketchLatentCache.KeyOf(sketch, 64, 32, true, FrameDecoder.Full));
        // The same bytes read as another image size are another sketch.
        Assert.NotEqual(key, SketchLatentCache.KeyOf(new RgbImage(8, 32, sketch.Pixels), 64, 64, true, FrameDecoder.Full));
    }

    [Fact]
    public void TheCacheIsBounded()
    {
        var cache = new SketchLatentCache();
        for (int i = 0; i < SketchLatentCache.Capacity + 5; i++)
        {
            var px = new byte[4 * 4 * 3];
            BitConverter.TryWriteBytes(px, i);
            cache.Set(SketchLatentCache.KeyOf(new RgbImage(4, 4, px), 32, 32, true, FrameDecoder.Full), [i]);
        }

        Assert.Equal(SketchLatentCache.Capacity, cache.Count);
    }
}
