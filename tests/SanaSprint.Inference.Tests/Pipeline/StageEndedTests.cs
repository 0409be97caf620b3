using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Tests.Pipeline;

/// <summary><see cref="GenerationRequest.StageEnded"/>: every stage's end in order, and a cancel from inside it stops the run right there.</summary>
public sealed class StageEndedTests
{
    private static (SanaSprintPipeline Pipeline, FakeComponents Components) Create()
    {
        var c = new FakeComponents();
        return (new SanaSprintPipeline(new InferenceOptions { WarmupSize = 0 }, () => c), c);
    }

    [Fact]
    public async Task EachRequestHearsEveryStageEndInOrder()
    {
        var (p, _) = Create();
        var heard = new List<(int Request, GenerationStage Stage, int Step)>();
        GenerationRequest Request(int index, GuidanceMode mode) => new()
        {
            Prompt = "a", Width = 32, Height = 32, Steps = 2, Seed = index, Mode = mode,
            Sketch = mode == GuidanceMode.Text ? null : SanaSprintPipelineTests.Sketch(32, 0),
            StageEnded = (stage, step) => { lock (heard) heard.Add((index, stage, step)); },
        };

        await p.GenerateAsync([Request(0, GuidanceMode.Text), Request(1, GuidanceMode.Img2Img)]);

        (GenerationStage, int)[] expected = [(GenerationStage.Text, 0), (GenerationStage.Prepare, 0), (GenerationStage.Step, 0), (GenerationStage.Step, 1), (GenerationStage.Decode, 0)];
        Assert.Equal(expected, heard.Where(h => h.Request == 0).Select(h => (h.Stage, h.Step)));
        Assert.Equal(expected, heard.Where(h => h.Request == 1).Select(h => (h.Stage, h.Step)));
    }

    [Theory]
    [InlineData(GenerationStage.Prepare, 0, 0)]
    [InlineData(GenerationStage.Step, 0, 1)]
    [InlineData(GenerationStage.Step, 1, 2)]
    public async Task ACancelFromInsideTheCallbackStopsBeforeTheNextStage(GenerationStage at, int atStep, int transformerCalls)
    {
        var (p, c) = Create();
        await p.LoadAsync();
        using var cts = new CancellationTokenSource();
        var request = new GenerationRequest
        {
            Prompt = "a", Width = 32, Height = 32, Steps = 4,
            StageEnded = (stage, step) => { if ((stage, step) == (at, atStep)) cts.Cancel(); },
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.GenerateAsync([request], cts.Token));

        Assert.Equal(transformerCalls, c.TransformerBatchSizes.Count);
        Assert.DoesNotContain(c.Calls, x => x.StartsWith("decode", StringComparison.Ordinal));
    }
}
