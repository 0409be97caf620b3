using SanaSprint.Inference.Models;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Tests.TestSupport;

namespace SanaSprint.Inference.Tests.Pipeline;

/// <summary>The demo checkpoint with a preview autoencoder (random TAESana weights: 32 latent channels, 32×, as the demo's
/// DC-AE) loaded through <c>Inference:PreviewDecoderPath</c>.</summary>
public sealed class PreviewDecoderFixture : IAsyncLifetime
{
    private readonly TempFolder _root = new("preview-decoder");

    public SanaSprintPipeline Pipeline { get; private set; } = null!;

    public PreviewAutoencoder Preview => ((PreviewAutoencoderComponents)Pipeline.Components!).Preview;

    public string Root => _root.Path;

    public async Task InitializeAsync()
    {
        string taesana = Path.Combine(Root, "taesana");
        Directory.CreateDirectory(taesana);
        TinyAutoencoderWeights.WritePth(Path.Combine(taesana, "taesana_encoder.pth"), TinyAutoencoderPart.Encoder, 32, seed: 21);
        TinyAutoencoderWeights.WritePth(Path.Combine(taesana, "taesana_decoder.pth"), TinyAutoencoderPart.Decoder, 32, seed: 22);
        Pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(new InferenceOptions
        {
            CacheDirectory = Path.Combine(Root, "cache"),
            Device = "cpu",
            WarmupSize = 0,
            IntraOpThreads = 2,
            PreviewDecoderPath = taesana,
        }), defaultCheckpoint: SanaSprint.Inference.Demo.EmbeddedDemoCheckpoint.Instance);
        await Pipeline.LoadAsync();
        Assert.True(Pipeline.Info.IsAvailable, Pipeline.Info.UnavailableReason);
    }

    public Task DisposeAsync()
    {
        Pipeline.Dispose();
        _root.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class PreviewDecoderTests(PreviewDecoderFixture fixture) : IClassFixture<PreviewDecoderFixture>
{
    private static GenerationRequest Request(FrameDecoder decoder, GuidanceMode mode = GuidanceMode.Text) => new()
    {
        Prompt = "a red house by a lake",
        Width = 96,
        Height = 64,
        Steps = 1,
        Seed = 3,
        Mode = mode,
        Sketch = mode == GuidanceMode.Text ? null : SanaSprintPipelineTests.Sketch(96, 0),
        Decoder = decoder,
    };

    [Fact]
    public async Task PreviewFramesDecodeWithTheTinyAutoencoderAndSayWhichDecoderMadeThem()
    {
        var before = fixture.Preview.DecoderTime;

        var results = await fixture.Pipeline.GenerateAsync([Request(FrameDecoder.Preview), Request(FrameDecoder.Full)]);

        Assert.Equal([FrameDecoder.Preview, FrameDecoder.Full], results.Select(r => r.Decoder));
        Assert.True(fixture.Preview.DecoderTime > before);
        Assert.Equal((96, 64), (results[0].Image.Width, results[0].Image.Height));
        // Same seed and latents, different decoders (the preview's weights are random): different pixels.
        Assert.NotEqual(results[0].Image.Pixels, results[1].Image.Pixels);
        var again = await fixture.Pipeline.GenerateAsync([Request(FrameDecoder.Full)]);
        Assert.Equal(results[1].Image.Pixels, again[0].Image.Pixels);
    }

    [Fact]
    public async Task ControlNetPreviewFramesEncodeTheSketchWithTheTinyEncoderAndFullFramesDoNot()
    {
        var before = fixture.Preview.EncoderTime;
        await fixture.Pipeline.GenerateAsync([Request(FrameDecoder.Full, GuidanceMode.ControlNet)]);
        Assert.Equal(before, fixture.Preview.EncoderTime);

        var preview = await fixture.Pipeline.GenerateAsync([Request(FrameDecoder.Preview, GuidanceMode.ControlNet)]);

        Assert.True(fixture.Preview.EncoderTime > before);
        Assert.Equal(FrameDecoder.Preview, preview[0].Decoder);
    }

    [Fact]
    public async Task Img2ImgKeepsTheDcAeEncoderForItsInitialLatents()
    {
        var before = fixture.Preview.EncoderTime;

        var r = await fixture.Pipeline.GenerateAsync([Request(FrameDecoder.Preview, GuidanceMode.Img2Img)]);

        Assert.Equal(before, fixture.Preview.EncoderTime);
        Assert.Equal(FrameDecoder.Preview, r[0].Decoder);
    }
}

public sealed class PreviewDecoderOptionTests
{
    [Fact]
    public async Task WithoutAPreviewAutoencoderPreviewRequestsFallBackToTheDcAe()
    {
        var pipeline = new SanaSprintPipeline(new InferenceOptions(), () => new FakeComponents());
        await pipeline.LoadAsync();

        var r = await pipeline.GenerateAsync([new GenerationRequest { Prompt = "x", Width = 64, Height = 64, Steps = 1, Decoder = FrameDecoder.Preview }]);

        Assert.Equal(FrameDecoder.Full, r[0].Decoder);
        pipeline.Dispose();
    }

    [Fact]
    public async Task APreviewAutoencoderOfAnotherLatentSpaceLeavesTheModelUnavailableWithTheReason()
    {
        using var tmp = new TempFolder();
        string taesana = tmp.File("taesana");
        Directory.CreateDirectory(taesana);
        TinyAutoencoderWeights.WritePth(Path.Combine(taesana, "taesana_encoder.pth"), TinyAutoencoderPart.Encoder, 16, seed: 1);
        TinyAutoencoderWeights.WritePth(Path.Combine(taesana, "taesana_decoder.pth"), TinyAutoencoderPart.Decoder, 16, seed: 2);
        using var pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(new InferenceOptions
        {
            CacheDirectory = tmp.File("cache"),
            Device = "cpu",
            WarmupSize = 0,
            PreviewDecoderPath = taesana,
        }), defaultCheckpoint: SanaSprint.Inference.Demo.EmbeddedDemoCheckpoint.Instance);

        await pipeline.LoadAsync();

        Assert.False(pipeline.Info.IsAvailable);
        Assert.Contains("16 latent channels", pipeline.Info.UnavailableReason);
        Assert.Contains("PreviewDecoderPath", pipeline.Info.UnavailableReason);
    }

    [Fact]
    public async Task AMissingPreviewAutoencoderNamesTheOptionAndTheFolder()
    {
        using var tmp = new TempFolder();
        using var pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(new InferenceOptions
        {
            CacheDirectory = tmp.File("cache"),
            Device = "cpu",
            WarmupSize = 0,
            PreviewDecoderPath = tmp.File("no-such-folder"),
        }), defaultCheckpoint: SanaSprint.Inference.Demo.EmbeddedDemoCheckpoint.Instance);

        await pipeline.LoadAsync();

        Assert.False(pipeline.Info.IsAvailable);
        Assert.Contains("`Inference:PreviewDecoderPath`", pipeline.Info.UnavailableReason);
        Assert.Contains("no-such-folder", pipeline.Info.UnavailableReason);
    }

    [Fact]
    public async Task TheTwoFilesSeparatedByASemicolonLoadLikeAFolder()
    {
        using var tmp = new TempFolder();
        string encoder = tmp.File("a_encoder.pth"), decoder = tmp.File("b_decoder.pth");
        TinyAutoencoderWeights.WritePth(encoder, TinyAutoencoderPart.Encoder, 32, seed: 1);
        TinyAutoencoderWeights.WritePth(decoder, TinyAutoencoderPart.Decoder, 32, seed: 2);
        using var pipeline = new SanaSprintPipeline(Microsoft.Extensions.Options.Options.Create(new InferenceOptions
        {
            CacheDirectory = tmp.File("cache"),
            Device = "cpu",
            WarmupSize = 0,
            PreviewDecoderPath = $"{encoder} ; {decoder}",
        }), defaultCheckpoint: SanaSprint.Inference.Demo.EmbeddedDemoCheckpoint.Instance);

        await pipeline.LoadAsync();

        Assert.True(pipeline.Info.IsAvailable, pipeline.Info.UnavailableReason);
        Assert.IsType<PreviewAutoencoderComponents>(pipeline.Components);
    }

    [Theory]
    [InlineData("{0}/a_encoder.pth;{0}/b_decoder.pth;{0}/b_decoder.pth", "has 3 parts")]
    [InlineData("{0}/a_encoder.pth;", "has 2 parts")]
    [InlineData("{0}/b_decoder.pth;{0}/a_encoder.pth", "given as the encoder but its name says decoder")]
    [InlineData("{0}/a_encoder.pth;{0}/missing_decoder.pth", "the decoder file")]
    [InlineData("{0}/a_encoder.pth", "is the file")]
    [InlineData("{0}/no-such-folder", "does not exist")]
    public void BadValuesNameTheOptionAndSayWhatIsWrong(string value, string message)
    {
        using var tmp = new TempFolder();
        TinyAutoencoderWeights.WritePth(tmp.File("a_encoder.pth"), TinyAutoencoderPart.Encoder, 32, seed: 1);
        TinyAutoencoderWeights.WritePth(tmp.File("b_decoder.pth"), TinyAutoencoderPart.Decoder, 32, seed: 2);

        var ex = Assert.Throws<GeneratorUnavailableException>(() => PreviewAutoencoderPaths.Parse(string.Format(value, tmp.Path)));

        Assert.Contains("`Inference:PreviewDecoderPath`", ex.Message);
        Assert.Contains(message, ex.Message);
    }

    [Fact]
    public void NoneTurnsThePreviewAutoencoderOffAndAFolderReadsBothParts()
    {
        using var tmp = new TempFolder();

        Assert.Null(PreviewAutoencoderPaths.Parse(" None "));
        Assert.Equal(PreviewAutoencoderPaths.Folder(tmp.Path), PreviewAutoencoderPaths.Parse(tmp.Path));
    }
}

