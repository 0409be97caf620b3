using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Runtime;
using Xunit.Abstractions;

namespace SanaSprint.Inference.Tests.Pipeline;

/// <summary>
/// The contract CUDA graphs need from the serving path, checked on the demo with CPU memory standing in for the device
/// (ONNX Runtime's CUDA-ExecutionProvider.md, "Using CUDA Graphs": a captured graph replays fixed shapes and addresses):
/// every run of a frame's sessions passes its output shapes (pre-allocated bound outputs), the warm-up meets every
/// served signature so serving adds none (one binding, so at most one graph id, per served signature), and a warm frame
/// allocates little managed memory beyond its image.
/// </summary>
public sealed class CudaGraphContractTests(StandInDeviceFixture fixture, ITestOutputHelper output) : IClassFixture<StandInDeviceFixture>
{
    private OnnxSanaSprintComponents C => fixture.Components;

    private static GenerationRequest[] Requests(FrameSignature s, long seed, string prompt) =>
        Enumerable.Range(0, s.Batch).Select(b => new GenerationRequest
        {
            Prompt = prompt,
            Width = s.Width,
            Height = s.Height,
            Steps = s.Steps,
            Seed = seed + b,
            Mode = s.Mode,
            Decoder = s.Decoder,
            Sketch = s.Mode == GuidanceMode.Text ? null : SanaSprintPipelineTests.Sketch(s.Width, (int)(seed + b) % 7),
        }).ToArray();

    private Dictionary<string, HashSet<string>> SignaturesBySession() =>
        C.FrameSessions.ToDictionary(s => s.Component, s => s.Binding.Signatures.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    [Fact]
    public async Task WarmupMeetsEveryServedSignatureAndServingAddsNoneWithOutputShapesOnEveryRun()
    {
        var served = new ServedFrames(128, 128, MaxBatch: 2, LiveSteps: 2, RefineSteps: 0, LiveDecoder: FrameDecoder.Full);
        using var pipeline = fixture.ServingAsCuda(served);
        await pipeline.LoadAsync();
        Assert.True(pipeline.Info.IsAvailable, pipeline.Info.UnavailableReason);
        var signatures = served.Signatures(pipeline.Info.SupportedModes);
        Assert.Equal(signatures, pipeline.WarmedUp);
        Assert.Contains(signatures, s => s.Batch == 2 && s.Mode == GuidanceMode.ControlNet);

        var warmed = SignaturesBySession();
        int residualSets = C.ResidualSignatures;
        foreach (var s in signatures)
            pipeline.Generate(Requests(s, seed: 40, "a blue car in the rain"), CancellationToken.None, null);

        var serving = SignaturesBySession();
        foreach (var session in C.FrameSessions)
        {
            string name = session.Component;
            output.WriteLine($"{name}: {warmed[name].Count} signatures after warm-up:\n  {string.Join("\n  ", warmed[name].Order(StringComparer.Ordinal))}");
            Assert.Equal(warmed[name], serving[name]);
            Assert.Equal(0, session.Binding.RunsWithoutOutputShapes);
            // One binding per signature, so one graph id each, and no more signatures than served batch kinds.
            Assert.InRange(serving[name].Count, 1, signatures.Count);
            var ids = new CudaGraphIds();
            Assert.Equal(serving[name].Count, serving[name].Select(ids.For).Distinct().Count(id => id >= 1));
        }

        Assert.Equal(residualSets, C.ResidualSignatures);
    }

    [Fact]
    public void AWarmFrameAllocatesItsImageAndLittleElse()
    {
        using var pipeline = fixture.Pipeline();
        var frame = new FrameSignature(GuidanceMode.ControlNet, 1, 2, 256, 256, FrameDecoder.Full);
        const string prompt = "a red house by a lake";
        pipeline.Generate(Requests(frame, seed: 1, prompt), CancellationToken.None, null); // first frame of its shapes, its prompt and sketch
        pipeline.Generate(Requests(frame, seed: 1, prompt), CancellationToken.None, null);

        var requests = Requests(frame, seed: 1, prompt);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = pipeline.Generate(requests, CancellationToken.None, null);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Budget: the image (H·W·3 bytes) plus the latent-sized step buffers (ten arrays of C·h·w floats: the sample, the
        // model input and output, denoised, next, the noise, v per step, the decoder input), plus 64 KiB for the small
        // objects of a frame's nine session runs (inputs, bindings by name, signatures).
        var info = C.Info;
        long image = 3L * frame.Width * frame.Height;
        long latent = 4L * info.LatentChannels * (frame.Width / info.VaeScaleFactor) * (frame.Height / info.VaeScaleFactor);
        long budget = image + 10 * latent + 64 * 1024;
        output.WriteLine($"allocated {allocated} B per warm ControlNet frame at {frame.Width}² (budget {budget} B: image {image}, latent {latent})");
        Assert.Equal(image, result[0].Image.Pixels.Length);
        Assert.InRange(allocated, image, budget);
    }
}
