using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Runtime;
using Xunit.Abstractions;

namespace SanaSprint.Inference.Tests.Pipeline;

/// <summary>
/// What a frame copies between host and device, counted by the binding runners on the demo checkpoint with CPU memory
/// standing in for the device: the ControlNet residuals never cross, and each frame stays under a budget of its inputs
/// (prompt once per session that reads it, the latent in and v out per step, the sketch and the image).
/// </summary>
public sealed class HostDeviceTransferTests(StandInDeviceFixture fixture, ITestOutputHelper output) : IClassFixture<StandInDeviceFixture>
{
    private const string Prompt = "a red house by a lake";

    private OnnxSanaSprintComponents C => fixture.Components;

    private static GenerationRequest Request(GuidanceMode mode, int size, long seed) => new()
    {
        Prompt = Prompt,
        Width = size,
        Height = size,
        Steps = 2,
        Seed = seed,
        Mode = mode,
        Strength = 0.6f,
        Sketch = mode == GuidanceMode.Text ? null : SanaSprintPipelineTests.Sketch(size, 0),
    };

    private (long ToDevice, long ToHost, IReadOnlyDictionary<string, long> ToDeviceBy, IReadOnlyDictionary<string, long> ToHostBy, byte[][] Pixels) Frame(
        SanaSprintPipeline pipeline, GuidanceMode mode, int size, int batch, long seed)
    {
        var requests = Enumerable.Range(0, batch).Select(b => Request(mode, size, seed + b)).ToList();
        C.Transfers.Reset();
        var results = pipeline.Generate(requests, CancellationToken.None, null);
        var t = C.Transfers;
        return (t.HostToDevice, t.DeviceToHost, t.HostToDeviceByTensor(), t.DeviceToHostByTensor(), results.Select(r => r.Image.Pixels).ToArray());
    }

    [Theory]
    [InlineData(GuidanceMode.Text, 128, 1)]
    [InlineData(GuidanceMode.Text, 128, 2)]
    [InlineData(GuidanceMode.Text, 256, 1)]
    [InlineData(GuidanceMode.Text, 256, 2)]
    [InlineData(GuidanceMode.Img2Img, 128, 1)]
    [InlineData(GuidanceMode.Img2Img, 128, 2)]
    [InlineData(GuidanceMode.Img2Img, 256, 1)]
    [InlineData(GuidanceMode.Img2Img, 256, 2)]
    [InlineData(GuidanceMode.ControlNet, 128, 1)]
    [InlineData(GuidanceMode.ControlNet, 128, 2)]
    [InlineData(GuidanceMode.ControlNet, 256, 1)]
    [InlineData(GuidanceMode.ControlNet, 256, 2)]
    public void AFrameCopiesNoMoreThanItsInputsAndImageAndNoResiduals(GuidanceMode mode, int size, int batch)
    {
        using var pipeline = fixture.Pipeline();
        Frame(pipeline, mode, size, batch, seed: 100); // the signature's first frame binds the static inputs of its shapes
        var frame = Frame(pipeline, mode, size, batch, seed: 1);

        // The budget: per frame the prompt (embeddings + mask) once per session that reads it, per step the latent and
        // the scalars in and v out, the sketch in and its latent out, the control latent in once, the decoder's latent in
        // and the image out as uint8 RGB (the decoder's post-process runs in its graph).
        var info = C.Info;
        int steps = 2, f = info.VaeScaleFactor;
        long n = (long)info.LatentChannels * (size / f) * (size / f), image = 3L * size * size;
        int tokens = C.EncodePrompts([Prompt])[0].Tokens;
        int sessions = mode == GuidanceMode.ControlNet ? 2 : 1;
        long prompt = (long)batch * tokens * (info.CaptionChannels * 4 + 8);
        long toDevice = sessions * prompt
            + steps * sessions * (4 * batch * n + 3 * 4 * batch + 4)
            + (mode == GuidanceMode.ControlNet ? 4 * batch * n : 0)
            + (mode == GuidanceMode.Text ? 0 : 4 * batch * image)
            + 4 * batch * n;
        long toHost = steps * 4 * batch * n + (mode == GuidanceMode.Text ? 0 : 4 * batch * n) + batch * image;
        output.WriteLine($"{mode} {size}² batch {batch}: host→device {frame.ToDevice} B (budget {toDevice}), device→host {frame.ToHost} B (budget {toHost})");
        foreach (var (k, v) in frame.ToDeviceBy.OrderBy(kv => kv.Key, StringComparer.Ordinal)) output.WriteLine($"  → {k}: {v}");
        foreach (var (k, v) in frame.ToHostBy.OrderBy(kv => kv.Key, StringComparer.Ordinal)) output.WriteLine($"  ← {k}: {v}");

        Assert.InRange(frame.ToDevice, 1, toDevice);
        Assert.InRange(frame.ToHost, 1, toHost);
        Assert.DoesNotContain(frame.ToHostBy.Keys, k => k.StartsWith("controlnet/", StringComparison.Ordinal));
        Assert.DoesNotContain(frame.ToDeviceBy.Keys, k => k.StartsWith("transformer/controlnet_block_samples_", StringComparison.Ordinal));
        // Every step's latent goes in and v comes out; the image comes back.
        Assert.Equal(steps * 4L * batch * n, frame.ToHostBy["transformer/sample"]);
        Assert.Equal(batch * image, frame.ToHostBy["vae_decoder/image"]);
        Assert.False(frame.ToHostBy.ContainsKey("vae_decoder/sample"));
        if (mode == GuidanceMode.ControlNet) Assert.Equal(steps * 4L * batch * n, frame.ToDeviceBy["controlnet/hidden_states"]);
        // The prompt of the previous frame stays bound: its embeddings do not cross again (the batch's stacked copy is reused).
        Assert.DoesNotContain(frame.ToDeviceBy.Keys, k => k.EndsWith("/encoder_hidden_states", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(128, 1)]
    [InlineData(256, 2)]
    public void KeepingTheResidualsOnTheDeviceSavesExactlyTheirBytesEachWayAndChangesNoPixel(int size, int batch)
    {
        using var device = fixture.Pipeline();
        using var host = fixture.Pipeline(hostResiduals: true);
        Frame(device, GuidanceMode.ControlNet, size, batch, seed: 100);
        Frame(host, GuidanceMode.ControlNet, size, batch, seed: 100);

        var before = Frame(host, GuidanceMode.ControlNet, size, batch, seed: 1);
        var after = Frame(device, GuidanceMode.ControlNet, size, batch, seed: 1);

        int steps = 2, f = C.Info.VaeScaleFactor, blocks = C.ControlNetOutputs;
        long residuals = (long)steps * blocks * batch * (size / f) * (size / f) * C.ResidualWidthOrZero * 4;
        output.WriteLine($"ControlNet {size}² batch {batch}: host→device {before.ToDevice} → {after.ToDevice} B, device→host {before.ToHost} → {after.ToHost} B");
        Assert.True(residuals > 0);
        Assert.Equal(residuals, before.ToDevice - after.ToDevice);
        Assert.Equal(residuals, before.ToHost - after.ToHost);
        Assert.Equal(before.Pixels, after.Pixels);
    }

    [Fact]
    public void TheDeviceStepEqualsTheHostStepAndReusesItsBuffersPerShape()
    {
        var info = C.Info;
        var prompt = C.EncodePrompts([Prompt])[0];
        TransformerCall Step(int batch, int hw, float t)
        {
            var x = new float[batch * info.LatentChannels * hw * hw];
            for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i * 0.37f + t);
            var embeds = Enumerable.Repeat(prompt.Embeddings, batch).SelectMany(e => e).ToArray();
            var mask = Enumerable.Repeat(prompt.Mask, batch).SelectMany(m => m).ToArray();
            return new TransformerCall(x, batch, hw, hw, Enumerable.Repeat(t, batch).ToArray(), new float[batch], embeds, prompt.Tokens, mask, null);
        }

        ControlNetCall Control(int batch, int hw, float t)
        {
            var step = Step(batch, hw, t);
            var latent = new float[step.HiddenStates.Length];
            for (int i = 0; i < latent.Length; i++) latent[i] = MathF.Cos(i * 0.11f);
            return new ControlNetCall(step, latent, Enumerable.Repeat(0.8f, batch).ToArray());
        }

        float[] HostPath(ControlNetCall call) => C.Transformer(call.Step with { ControlBlocks = C.ControlNet(call) });

        var a = Control(1, 4, 0.5f);
        Assert.Equal(HostPath(a), C.ControlledTransformer(a));
        var bufferA = C.ResidualBuffers(1, 4, 4).Select(IoBindingRunner.AddressOf).ToArray();

        // A → B → A: B has buffers of its own; back on A the same buffers (same addresses) are bound again and give the
        // same result as the host path for A's new inputs.
        var b = Control(2, 8, 1.1f);
        Assert.Equal(HostPath(b), C.ControlledTransformer(b));
        var a2 = Control(1, 4, 1.4f);
        Assert.Equal(HostPath(a2), C.ControlledTransformer(a2));
        Assert.Equal(bufferA, C.ResidualBuffers(1, 4, 4).Select(IoBindingRunner.AddressOf).ToArray());
        Assert.NotEqual(bufferA, C.ResidualBuffers(2, 8, 8).Select(IoBindingRunner.AddressOf).ToArray());
        Assert.True(C.ResidualSignatures >= 2);

        // Per-sample scales that differ take the host path and still scale each sample.
        var mixed = Control(2, 4, 0.5f) with { ConditioningScale = [0.3f, 1.2f] };
        var v = C.ControlledTransformer(mixed);
        Assert.Equal(HostPath(mixed), v);
        Assert.NotEqual(HostPath(mixed with { ConditioningScale = [0.3f, 0.3f] }), v);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 8)]
    public void TheDecodersImageOutputIsTheHostPostprocessWithinOneLevel(int batch, int hw)
    {
        var info = C.Info;
        var latents = new float[batch * info.LatentChannels * hw * hw];
        for (int i = 0; i < latents.Length; i++) latents[i] = 40f * MathF.Sin(i * 0.13f);
        int bytes = batch * 3 * hw * info.VaeScaleFactor * hw * info.VaeScaleFactor;
        var device = new byte[bytes];
        var host = new byte[bytes];
        C.DecodeToImage(latents, batch, hw, hw, device);
        ISanaSprintComponents.DecodeOnHost(C, latents, batch, hw, hw, host);

        // Saturated and mid-range values both occur, so the clamp and the rounding are both exercised.
        Assert.Contains(host, v => v == 0 || v == 255);
        Assert.Contains(host, v => v is > 10 and < 245);
        Assert.All(device.Zip(host), p => Assert.InRange(p.First - p.Second, -1, 1));
        output.WriteLine($"{device.Zip(host).Count(p => p.First != p.Second)} of {bytes} bytes differ by one level");
    }
}
