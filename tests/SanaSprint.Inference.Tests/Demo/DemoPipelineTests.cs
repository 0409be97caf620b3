using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Imaging;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Tests.Pipeline;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Tests.Demo;

/// <summary>Behaviour of the real graphs (demo checkpoint, CPU): the pipeline's guarantees hold end to end.</summary>
public sealed class DemoPipelineTests(DemoPipelineFixture fixture) : IClassFixture<DemoPipelineFixture>
{
    private SanaSprintPipeline P => fixture.Pipeline;

    private static GenerationRequest Text(long seed = 1, string prompt = "a red house by a lake") =>
        new() { Prompt = prompt, Width = 128, Height = 128, Steps = 2, Seed = seed };

    [Fact]
    public void DemoIsFlaggedWithANoticeAndAllModes()
    {
        Assert.True(P.Info.IsDemo);
        Assert.Contains("trained on synthetic shapes", P.Info.DemoNotice);
        Assert.Contains("Sana_Sprint", P.Info.DemoNotice);
        Assert.Equal("CPU", P.Info.Provider);
        Assert.Equal([GuidanceMode.Text, GuidanceMode.Img2Img, GuidanceMode.ControlNet], P.Info.SupportedModes);
    }

    [Fact]
    public async Task WithNoConfigurationLiveFramesUseTheDemosOwnTinyAutoencoderAndNoneTurnsItOff()
    {
        var preview = Assert.IsType<PreviewAutoencoderComponents>(P.Components);
        Assert.Equal(P.Components!.Info.LatentChannels, preview.Preview.LatentChannels);
        var live = await P.GenerateAsync([Text() with { Decoder = FrameDecoder.Preview }, Text()]);
        Assert.Equal([FrameDecoder.Preview, FrameDecoder.Full], live.Select(r => r.Decoder));

        using var off = new SanaSprintPipeline(Options.Create(new InferenceOptions
        {
            CacheDirectory = fixture.CacheDirectory,
            Device = "cpu",
            WarmupSize = 0,
            IntraOpThreads = 2,
            PreviewDecoderPath = PreviewAutoencoderPaths.None,
        }), defaultCheckpoint: EmbeddedDemoCheckpoint.Instance);
        await off.LoadAsync();

        Assert.True(off.Info.IsAvailable, off.Info.UnavailableReason);
        Assert.IsNotType<PreviewAutoencoderComponents>(off.Components);
        var r = await off.GenerateAsync([Text() with { Decoder = FrameDecoder.Preview }]);
        Assert.Equal(FrameDecoder.Full, r[0].Decoder);
    }

    [Fact]
    public async Task Fp16RequestedOnCpuRunsFp32AndSaysSo()
    {
        var log = new Runtime.ExecutionProvidersTests.ListLogger();
        using var p = new SanaSprintPipeline(Options.Create(new InferenceOptions
        {
            CacheDirectory = fixture.CacheDirectory,
            Device = "cpu",
            Precision = "fp16",
            WarmupSize = 0,
            IntraOpThreads = 2,
        }), new OneLoggerFactory(log), EmbeddedDemoCheckpoint.Instance);
        await p.LoadAsync();

        Assert.True(p.Info.IsAvailable, p.Info.UnavailableReason);
        Assert.Equal("fp32", p.Info.Precision);
        Assert.Equal("fp32", P.Info.Precision);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("'fp16' was requested", StringComparison.Ordinal) && l.Text.Contains("fp32", StringComparison.Ordinal));
    }

    [Fact]
    public void CountPromptTokensIsTheTokenizersCountOfThePreparedPrompt()
    {
        var model = Directory.EnumerateFiles(fixture.CacheDirectory, GemmaTokenizer.ModelFileName, SearchOption.AllDirectories).Single();
        var tokenizer = GemmaTokenizer.FromFile(model);
        (string Typed, string Prepared)[] cases =
        [
            ("a red house by a lake", "a red house by a lake"),
            ("  A Red HOUSE by a Lake \n", "a red house by a lake"),
            ("\tHello, World! 42", "hello, world! 42"),
        ];
        foreach (var (typed, prepared) in cases)
        {
            Assert.Equal(tokenizer.CountTokens(prepared, addBos: false), P.CountPromptTokens(typed));
        }

        // Capitals and surrounding white space are prepared away (lower().strip()), so they cost nothing.
        Assert.Equal(P.CountPromptTokens("a red house by a lake"), P.CountPromptTokens("  A Red HOUSE by a Lake \n"));
        Assert.True(tokenizer.CountTokens("  A Red HOUSE by a Lake \n", addBos: false) > P.CountPromptTokens("  A Red HOUSE by a Lake \n"));
        Assert.Equal(0, P.CountPromptTokens(" \n "));
    }

    [Fact]
    public async Task SameSeedGivesIdenticalBytes()
    {
        var a = await P.GenerateAsync([Text(7)]);
        var b = await P.GenerateAsync([Text(7)]);
        var c = await P.GenerateAsync([Text(8)]);
        Assert.Equal(a[0].Image.Pixels, b[0].Image.Pixels);
        Assert.NotEqual(a[0].Image.Pixels, c[0].Image.Pixels);
        Assert.Equal(128, a[0].Image.Width);
    }

    [Fact]
    public async Task BatchOfFourEqualsFourSingles()
    {
        GenerationRequest[] requests =
        [
            Text(1), Text(2, "a blue car"), Text(3) with { GuidanceScale = 5f },
            Text(4) with { Mode = GuidanceMode.Img2Img, Sketch = SanaSprintPipelineTests.Sketch(100, 0), Strength = 0.6f },
        ];
        var batched = await P.GenerateAsync(requests);
        for (int i = 0; i < requests.Length; i++)
        {
            var single = await P.GenerateAsync([requests[i]]);
            // Batched kernels may sum in another order; allow one grey level.
            Assert.All(batched[i].Image.Pixels.Zip(single[0].Image.Pixels), p => Assert.InRange(p.First - p.Second, -1, 1));
        }
    }

    [Fact]
    public async Task ControlNetOutputFollowsTheSketch()
    {
        var r = Text(5) with { Mode = GuidanceMode.ControlNet, Sketch = SanaSprintPipelineTests.Sketch(128, 0) };
        var a = await P.GenerateAsync([r]);
        var same = await P.GenerateAsync([r with { Sketch = SanaSprintPipelineTests.Sketch(128, 0) }]);
        var other = await P.GenerateAsync([r with { Sketch = SanaSprintPipelineTests.Sketch(128, 1) }]);
        var text = await P.GenerateAsync([Text(5)]);
        Assert.Equal(a[0].Image.Pixels, same[0].Image.Pixels);
        Assert.NotEqual(a[0].Image.Pixels, other[0].Image.Pixels);
        Assert.NotEqual(a[0].Image.Pixels, text[0].Image.Pixels);
    }

    [Fact]
    public async Task Img2ImgStrengthZeroDecodesTheSketchLatentAndOneIgnoresIt()
    {
        var sketch = SanaSprintPipelineTests.Sketch(128, 2);
        var zero = await P.GenerateAsync([Text(3) with { Mode = GuidanceMode.Img2Img, Sketch = sketch, Strength = 0f }]);
        var c = P.Components!;
        var image = new float[3 * 128 * 128];
        ImageProcessor.Preprocess(sketch, 128, 128, image);
        var decoded = new float[3 * 128 * 128];
        c.Decode(c.EncodeImages(image, 1, 128, 128), 1, 4, 4, decoded);
        var expected = ImageProcessor.Postprocess(decoded, 128, 128);
        Assert.All(zero[0].Image.Pixels.Zip(expected.Pixels), p => Assert.InRange(p.First - p.Second, -1, 1));

        var one = await P.GenerateAsync([Text(3) with { Mode = GuidanceMode.Img2Img, Sketch = sketch, Strength = 1f }]);
        var text = await P.GenerateAsync([Text(3)]);
        Assert.Equal(text[0].Image.Pixels, one[0].Image.Pixels);
    }

    [Fact]
    public async Task ConcurrentCallersGetTheSameFramesAsSequentialOnes()
    {
        var requests = Enumerable.Range(0, 4).Select(i => Text(100 + i, $"prompt {i % 2}")).ToList();
        var sequential = new List<byte[]>();
        foreach (var r in requests) sequential.Add((await P.GenerateAsync([r]))[0].Image.Pixels);
        var concurrent = await Task.WhenAll(requests.Select(r => Task.Run(() => P.GenerateAsync([r]))));
        for (int i = 0; i < requests.Count; i++) Assert.Equal(sequential[i], concurrent[i][0].Image.Pixels);
    }

    [Fact]
    public async Task CancellationStopsBetweenStages()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => P.GenerateAsync([Text()], cts.Token));
    }

    [Fact]
    public async Task EveryFrameCarriesItsPerStageTimings()
    {
        // Speed is the bench's job (`sanasprint bench`); here only that each stage is timed and reported.
        var result = await P.GenerateAsync([Text(11) with { Width = 256, Height = 256 }]);
        var t = result[0].Timings;
        Assert.Equal(2, t.Steps.Count);
        Assert.All(t.Steps, step => Assert.True(step > TimeSpan.Zero));
        Assert.True(t.Decode > TimeSpan.Zero);
        Assert.True(t.Total >= t.Steps.Aggregate(TimeSpan.Zero, (a, b) => a + b) + t.Decode, "total covers the steps and the decode");
    }

    private sealed class OneLoggerFactory(ILogger logger) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => logger;

        public void Dispose()
        {
        }
    }
}
