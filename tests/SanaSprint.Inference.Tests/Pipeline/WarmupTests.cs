using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Tests.Pipeline;

/// <summary>The load's warm-up runs exactly the frames the host serves, through the serving path.</summary>
public sealed class WarmupTests
{
    private static readonly GuidanceMode[] AllModes = [GuidanceMode.Text, GuidanceMode.Img2Img, GuidanceMode.ControlNet];

    private static async Task<(SanaSprintPipeline Pipeline, FakeComponents Components)> LoadAsync(int warmupSize, ServedFrames? served, string provider = "CUDA")
    {
        var c = new FakeComponents { Provider = provider };
        var p = new SanaSprintPipeline(new InferenceOptions { WarmupSize = warmupSize }, () => c, servedFrames: served);
        await p.LoadAsync();
        Assert.True(p.Info.IsAvailable, p.Info.UnavailableReason);
        return (p, c);
    }

    private static HashSet<string> TakeShapes(FakeComponents c)
    {
        lock (c.Calls)
        {
            var shapes = c.Shapes.ToHashSet(StringComparer.Ordinal);
            c.Shapes.Clear();
            c.Calls.Clear();
            return shapes;
        }
    }

    private static GenerationRequest Request(GuidanceMode mode, int width, int height, int steps, FrameDecoder decoder, int sketch) => new()
    {
        Prompt = $"p{sketch}",
        Width = width,
        Height = height,
        Steps = steps,
        Seed = sketch,
        Mode = mode,
        Decoder = decoder,
        Sketch = mode == GuidanceMode.Text ? null : SanaSprintPipelineTests.Sketch(40, sketch % 3) with { Pixels = Distinct(SanaSprintPipelineTests.Sketch(40, sketch % 3).Pixels, sketch) },
    };

    private static byte[] Distinct(byte[] pixels, int index)
    {
        BitConverter.TryWriteBytes(pixels, index + 1_000_000);
        return pixels;
    }

    [Fact]
    public async Task WarmupRunsEveryServedBatchKindAndServingThenMeetsExactlyTheWarmedShapes()
    {
        var served = new ServedFrames(64, 32, MaxBatch: 3, LiveSteps: 2, RefineSteps: 4);
        var (p, c) = await LoadAsync(warmupSize: 512, served);

        var expected = served.Signatures(AllModes);
        Assert.Equal(3 * 3 * 2, expected.Count);
        Assert.Equal(expected, p.WarmedUp);
        int transformerRuns;
        lock (c.Calls) transformerRuns = c.Calls.Count(x => x.StartsWith("transformer:", StringComparison.Ordinal));
        Assert.Equal(expected.Sum(s => s.Steps), transformerRuns);
        var warmed = TakeShapes(c);
        // The warm-up ran at the served size, never at WarmupSize.
        // The warm-up ran at the served size (64×32 pixels, 8×4 latent cells), never at WarmupSize.
        Assert.All(warmed, s => Assert.True(s.Contains("x4x8", StringComparison.Ordinal) || s.Contains("x32x64", StringComparison.Ordinal), s));

        // Serving: each served kind alone, and batches that mix modes as rooms do (the pipeline splits them by ControlNet use).
        int sketch = 0;
        foreach (var signature in expected)
            await p.GenerateAsync(Enumerable.Range(0, signature.Batch)
                .Select(_ => Request(signature.Mode, signature.Width, signature.Height, signature.Steps, signature.Decoder, sketch++)).ToList());
        var servedShapes = TakeShapes(c);
        Assert.Equal(warmed.Order(StringComparer.Ordinal), servedShapes.Order(StringComparer.Ordinal));

        await p.GenerateAsync(
        [
            Request(GuidanceMode.Text, 64, 32, 2, FrameDecoder.Preview, sketch++),
            Request(GuidanceMode.Img2Img, 64, 32, 2, FrameDecoder.Preview, sketch++),
            Request(GuidanceMode.ControlNet, 64, 32, 2, FrameDecoder.Preview, sketch++),
        ]);
        await p.GenerateAsync([Request(GuidanceMode.ControlNet, 64, 32, 3, FrameDecoder.Preview, sketch++)]);
        Assert.Subset(warmed, TakeShapes(c));
    }

    [Fact]
    public async Task OnTheCpuProviderTheWarmupKeepsBatchesOfOne()
    {
        var served = new ServedFrames(64, 32, MaxBatch: 4, LiveSteps: 2, RefineSteps: 4);
        var (p, c) = await LoadAsync(warmupSize: 512, served, provider: "CPU");
        Assert.Equal(served.Signatures(AllModes).Where(s => s.Batch == 1), p.WarmedUp);
        lock (c.Calls) Assert.All(c.TransformerBatchSizes, b => Assert.Equal(1, b));
    }

    [Fact]
    public async Task WithoutServedFramesTheWarmupIsOneSquareFramePerSupportedMode()
    {
        var (p, c) = await LoadAsync(warmupSize: 44, served: null);
        // 44 is rounded down to the model's scale factor (8).
        Assert.Equal(AllModes.Select(m => new FrameSignature(m, 1, 2, 40, 40, FrameDecoder.Full)), p.WarmedUp);
        Assert.Contains("encode:1x40x40", TakeShapes(c));
    }

    [Fact]
    public async Task WarmupSizeZeroRunsNothing()
    {
        var (p, c) = await LoadAsync(warmupSize: 0, new ServedFrames(64, 64, 2, 2, 4));
        Assert.Empty(p.WarmedUp);
        lock (c.Calls) Assert.Empty(c.Calls);
    }

    [Fact]
    public async Task AServedSizeTheModelCannotMakeIsSkippedAndTheModelStaysAvailable()
    {
        // 60 is no multiple of the fake's scale factor 8: such frames fail when served, with the same message.
        var (p, _) = await LoadAsync(warmupSize: 512, new ServedFrames(60, 64, 1, 2, 0));
        Assert.Empty(p.WarmedUp);
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => p.GenerateAsync([new GenerationRequest { Prompt = "a", Width = 60, Height = 64 }]));
        Assert.Contains("divisible by 8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SignaturesCoverModesBatchesAndBothFramesOnlyWhenRefinementHasMoreSteps()
    {
        var refine = new ServedFrames(256, 256, 2, 2, 4).Signatures([GuidanceMode.Text]);
        Assert.Equal(
        [
            new FrameSignature(GuidanceMode.Text, 1, 2, 256, 256, FrameDecoder.Preview),
            new FrameSignature(GuidanceMode.Text, 1, 4, 256, 256, FrameDecoder.Full),
            new FrameSignature(GuidanceMode.Text, 2, 2, 256, 256, FrameDecoder.Preview),
            new FrameSignature(GuidanceMode.Text, 2, 4, 256, 256, FrameDecoder.Full),
        ], refine);
        // No refinement when it would not have more steps than the live frame (as the scheduler decides).
        Assert.Equal(2, new ServedFrames(256, 256, 2, 4, 4).Signatures([GuidanceMode.Text, GuidanceMode.Text]).Count);
    }
}
