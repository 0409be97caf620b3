using SanaSprint.Inference.Imaging;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Tests.Pipeline;

public sealed class SanaSprintPipelineTests
{
    private static (SanaSprintPipeline Pipeline, FakeComponents Components) Create()
    {
        var c = new FakeComponents();
        return (new SanaSprintPipeline(new InferenceOptions { WarmupSize = 0 }, () => c), c);
    }

    internal static RgbImage Sketch(int size, int variant)
    {
        var px = new byte[size * size * 3];
        Array.Fill(px, (byte)255);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                bool stroke = variant switch
                {
                    0 => Math.Abs(x - y) < 2,
                    1 => Math.Abs(x - size / 2) < 2,
                    _ => Math.Abs(y - size / 3) < 3,
                };
                if (stroke) px[(y * size + x) * 3] = px[(y * size + x) * 3 + 1] = px[(y * size + x) * 3 + 2] = 0;
            }

        return new RgbImage(size, size, px);
    }

    [Fact]
    public async Task BatchOfRequestsEqualsTheSameRequestsRunAlone()
    {
        var (p, c) = Create();
        GenerationRequest[] requests =
        [
            new() { Prompt = "a cat", Width = 64, Height = 64, Steps = 2, Seed = 1 },
            new() { Prompt = "a dog on a hill", Width = 64, Height = 64, Steps = 2, Seed = 2, GuidanceScale = 5f },
            new() { Prompt = "x", Width = 64, Height = 64, Steps = 2, Seed = 3, Mode = GuidanceMode.Img2Img, Sketch = Sketch(48, 0), Strength = 0.5f },
        ];
        var batched = await p.GenerateAsync(requests);
        Assert.Equal([3, 3], c.TransformerBatchSizes);
        for (int i = 0; i < requests.Length; i++)
        {
            var single = await p.GenerateAsync([requests[i]]);
            Assert.Equal(batched[i].Image.Pixels, single[0].Image.Pixels);
        }
    }

    [Fact]
    public async Task RequestsOfDifferentSizesRunAsSeparateBatchesInRequestOrder()
    {
        var (p, c) = Create();
        var results = await p.GenerateAsync(
        [
            new() { Prompt = "a", Width = 64, Height = 32, Steps = 1, Seed = 1 },
            new() { Prompt = "b", Width = 32, Height = 32, Steps = 1, Seed = 1 },
            new() { Prompt = "c", Width = 64, Height = 32, Steps = 1, Seed = 2 },
        ]);
        Assert.Equal([64, 32, 64], results.Select(r => r.Image.Width));
        Assert.Equal([2, 1], c.TransformerBatchSizes);
    }

    [Fact]
    public async Task SameSeedGivesIdenticalBytesAndOtherSeedsDiffer()
    {
        var (p, _) = Create();
        var r = new GenerationRequest { Prompt = "a cat", Width = 32, Height = 32, Steps = 4, Seed = 42 };
        var a = await p.GenerateAsync([r]);
        var b = await p.GenerateAsync([r]);
        var other = await p.GenerateAsync([r with { Seed = 43 }]);
        Assert.Equal(a[0].Image.Pixels, b[0].Image.Pixels);
        Assert.NotEqual(a[0].Image.Pixels, other[0].Image.Pixels);
    }

    [Fact]
    public async Task CancellationStopsWithinOneStage()
    {
        var (p, c) = Create();
        await p.LoadAsync();
        using var cts = new CancellationTokenSource();
        c.OnTransformer = _ => cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.GenerateAsync([new() { Prompt = "a", Width = 32, Height = 32, Steps = 4 }], cts.Token));
        // Cancelled during step 0: no further transformer call and no decode.
        Assert.Single(c.TransformerBatchSizes);
        Assert.DoesNotContain(c.Calls, x => x.StartsWith("decode", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ControlNetOutputChangesWithTheSketchAndOnlyWithIt()
    {
        var (p, c) = Create();
        var r = new GenerationRequest { Prompt = "a", Width = 64, Height = 64, Steps = 2, Seed = 5, Mode = GuidanceMode.ControlNet, Sketch = Sketch(64, 0) };
        var a = await p.GenerateAsync([r]);
        var same = await p.GenerateAsync([r with { Sketch = Sketch(64, 0) }]);
        var changed = await p.GenerateAsync([r with { Sketch = Sketch(64, 1) }]);
        Assert.Equal(a[0].Image.Pixels, same[0].Image.Pixels);
        Assert.NotEqual(a[0].Image.Pixels, changed[0].Image.Pixels);
        Assert.Contains("controlnet:1", c.Calls);
    }

    [Fact]
    public async Task Img2ImgAtStrengthZeroReturnsTheDecodedSketchLatent()
    {
        var (p, c) = Create();
        var sketch = Sketch(64, 2);
        var result = await p.GenerateAsync([new() { Prompt = "a", Width = 64, Height = 64, Steps = 2, Seed = 9, Mode = GuidanceMode.Img2Img, Sketch = sketch, Strength = 0f }]);

        var image = new float[3 * 64 * 64];
        ImageProcessor.Preprocess(sketch, 64, 64, image);
        var expected = ImageProcessor.Postprocess(c.Decode(c.EncodeImages(image, 1, 64, 64), 1, 8, 8), 64, 64);
        for (int i = 0; i < expected.Pixels.Length; i++) Assert.InRange(result[0].Image.Pixels[i] - expected.Pixels[i], -1, 1);
    }

    [Fact]
    public async Task Img2ImgAtStrengthOneIgnoresTheSketch()
    {
        var (p, _) = Create();
        var text = new GenerationRequest { Prompt = "a", Width = 64, Height = 64, Steps = 2, Seed = 9 };
        var t = await p.GenerateAsync([text]);
        var full = await p.GenerateAsync([text with { Mode = GuidanceMode.Img2Img, Sketch = Sketch(64, 2), Strength = 1f }]);
        var partial = await p.GenerateAsync([text with { Mode = GuidanceMode.Img2Img, Sketch = Sketch(64, 2), Strength = 0.5f }]);
        Assert.Equal(t[0].Image.Pixels, full[0].Image.Pixels);
        Assert.NotEqual(t[0].Image.Pixels, partial[0].Image.Pixels);
    }

    [Fact]
    public async Task EachBatchAsksTheComponentsOnceForItsDistinctPromptsAndKeepsNoCacheOfItsOwn()
    {
        // The one prompt cache is the components' prompt encoder (PromptEncoderTests); the pipeline adds none.
        var (p, c) = Create();
        await p.GenerateAsync([new() { Prompt = "a cat", Width = 32, Height = 32, Steps = 1 }, new() { Prompt = "a cat", Width = 32, Height = 32, Steps = 1, Seed = 2 }]);
        await p.GenerateAsync([new() { Prompt = "a cat", Width = 32, Height = 32, Steps = 1 }]);
        Assert.Equal(2, c.PromptEncodes);
        Assert.Equal(2, c.Calls.Count(call => call == "text:1"));
    }

    [Theory]
    [InlineData(6, 32, 32, "`steps` must be 1–4 but is 6.")]
    [InlineData(2, 36, 32, "divisible by 8")]
    [InlineData(0, 32, 32, "`steps` must be 1–4 but is 0.")]
    public async Task InvalidRequestsNameTheArgument(int steps, int width, int height, string message)
    {
        var (p, _) = Create();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => p.GenerateAsync([new() { Prompt = "a", Steps = steps, Width = width, Height = height }]));
        Assert.Contains(message, ex.Message);
        Assert.StartsWith("requests[0]", ex.Message);
    }

    [Fact]
    public async Task SketchModesRequireASketch()
    {
        var (p, _) = Create();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => p.GenerateAsync([new() { Prompt = "a", Width = 32, Height = 32, Mode = GuidanceMode.ControlNet }]));
        Assert.Contains("`sketch` is required", ex.Message);
    }

    [Fact]
    public async Task TimingsCoverEveryStage()
    {
        var (p, _) = Create();
        var r = await p.GenerateAsync([new() { Prompt = "a", Width = 32, Height = 32, Steps = 3 }]);
        var t = r[0].Timings;
        Assert.Equal(3, t.Steps.Count);
        Assert.True(t.Total >= t.Text + t.ControlEncode + t.Decode + t.Steps.Aggregate(TimeSpan.Zero, (a, b) => a + b));
    }

    [Fact]
    public async Task AFailedLoadLeavesTheGeneratorUnavailableWithTheReason()
    {
        var p = new SanaSprintPipeline(new InferenceOptions(), () => throw new GeneratorUnavailableException("transformer/config.json is missing"));
        await p.LoadAsync();
        Assert.False(p.Info.IsAvailable);
        Assert.Contains("transformer/config.json", p.Info.UnavailableReason);
        var ex = await Assert.ThrowsAsync<GeneratorUnavailableException>(() => p.GenerateAsync([new() { Prompt = "a" }]));
        Assert.Contains("transformer/config.json", ex.Message);
    }

    [Fact]
    public async Task CountPromptTokensIsNullBeforeLoadingAndWithoutATokenizer()
    {
        var (p, _) = Create();
        Assert.Null(p.CountPromptTokens("a cat"));
        await p.LoadAsync();
        Assert.Null(p.CountPromptTokens("a cat")); // the fake components have no tokenizer
        Assert.Throws<ArgumentNullException>(() => p.CountPromptTokens(null!));
    }

    [Fact]
    public async Task InfoListsTheModesTheModelSupports()
    {
        var (p, _) = Create();
        await p.LoadAsync();
        Assert.True(p.Info.IsAvailable);
        Assert.Equal([GuidanceMode.Text, GuidanceMode.Img2Img, GuidanceMode.ControlNet], p.Info.SupportedModes);
    }
}
