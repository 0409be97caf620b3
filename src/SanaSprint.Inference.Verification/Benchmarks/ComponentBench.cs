using System.Diagnostics;
using SanaSprint.Inference.Imaging;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Per-component latency of a loaded checkpoint (the CLI's <c>bench-components</c>): each model component is called
/// alone, batch 1, on fixed inputs — seeded standard-normal latents of the frame's latent shape, a fixed line sketch
/// turned into the ControlNet's scribble map, a random caption embedding when the checkpoint has no text encoder — so
/// the same calls can be timed in diffusers (<c>SanaTransformer2DModel</c>, <c>SanaControlNetModel</c>,
/// <c>AutoencoderDC.encode</c> / <c>decode</c>) on the same machine. Each component gets <c>warmup</c> unmeasured calls,
/// then <c>runs</c> measured ones; a row reports their median and p90 wall time. With a dump folder, every input and
/// the last measured call's outputs are written there as <c>.npy</c> files named after diffusers' arguments
/// (<see cref="NpyFile"/>), so a reference can run on the very same inputs and compare outputs.
/// </summary>
public static class ComponentBench
{
    /// <summary>Caption window of the random embedding used without a text encoder (SANA's max_sequence_length).</summary>
    public const int RandomCaptionTokens = 300;

    private const int RandomCaptionRealTokens = 24;
    private const int Seed = 2024;

    /// <summary>Times every component <paramref name="components"/> has at <paramref name="width"/>×<paramref name="height"/>.</summary>
    /// <param name="components">The loaded checkpoint; a <see cref="PreviewAutoencoderComponents"/> adds the tiny autoencoder's rows.</param>
    /// <param name="width">Frame width in pixels (a multiple of the autoencoder's scale factor).</param>
    /// <param name="height">Frame height in pixels (a multiple of the autoencoder's scale factor).</param>
    /// <param name="runs">Measured calls per component (at least 1).</param>
    /// <param name="warmup">Unmeasured calls per component before the measured ones (0 or more).</param>
    /// <param name="cancellationToken">Stops between calls.</param>
    /// <param name="dumpDirectory">When set (an existing folder), receives the inputs and outputs as <c>.npy</c> files:
    /// <c>hidden_states</c> (also the DC-AE decoder's input), <c>timestep</c>, <c>guidance</c>, <c>encoder_hidden_states</c>,
    /// <c>encoder_attention_mask</c> (int64), <c>control_image</c> (the DC-AE encoder's input), <c>controlnet_cond</c>
    /// (its latent × scaling_factor), <c>conditioning_scale</c>, and <c>out.controlnet_block_{i}</c>,
    /// <c>out.transformer</c>, <c>out.dcae_encode</c>, <c>out.dcae_decode</c>.</param>
    /// <returns>One row per component, in pipeline order.</returns>
    /// <exception cref="ArgumentException">A size that is not a positive multiple of the scale factor, or bad counts.</exception>
    public static ComponentBenchResult Run(ISanaSprintComponents components, int width, int height, int runs, int warmup,
        CancellationToken cancellationToken = default, string? dumpDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(components);
        var info = components.Info;
        if (SizeError(info, width, height) is { } error) throw new ArgumentException(error, nameof(width));
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);

        var rows = new List<ComponentTiming>();
        var skipped = new List<string>();
        int h = height / info.VaeScaleFactor, w = width / info.VaeScaleFactor, c = info.LatentChannels;
        var dcae = components is PreviewAutoencoderComponents p ? p.Inner : components;
        var preview = (components as PreviewAutoencoderComponents)?.Preview;

        // Text encoder: a different prompt each call, since the encoder caches per prompt text.
        PromptEmbedding embedding;
        if (info.HasTextEncoder)
        {
            int call = 0;
            rows.Add(Time("text encoder (prompt encode)", runs, warmup, cancellationToken,
                () => components.EncodePrompts([$"bench prompt {call++}: a watercolour fox in a snowy forest"])));
            embedding = components.EncodePrompts(["a watercolour fox in a snowy forest"])[0];
        }
        else
        {
            skipped.Add("text encoder (the checkpoint has none; a random caption embedding feeds the transformer)");
            embedding = RandomEmbedding(info.CaptionChannels);
        }

        var rng = new Random(Seed);
        var latents = Normal(rng, c * h * w);
        float[] timestep = [ScmScheduler.ScmTimestep(ScmScheduler.DefaultMaxTimesteps)];
        float[] guidance = [ScmScheduler.EmbeddedGuidance(4.5f, info.GuidanceEmbedsScale)];
        var step = new TransformerCall(latents, 1, h, w, timestep, guidance, embedding.Embeddings, embedding.Tokens, embedding.Mask, null);
        void Dump(string name, ReadOnlySpan<float> values, params long[] shape)
        {
            if (dumpDirectory is not null) NpyFile.Write(Path.Combine(dumpDirectory, name + ".npy"), values, shape);
        }

        Dump("hidden_states", latents, 1, c, h, w);
        Dump("timestep", timestep, 1);
        Dump("guidance", guidance, 1);
        Dump("encoder_hidden_states", embedding.Embeddings, 1, embedding.Tokens, info.CaptionChannels);
        if (dumpDirectory is not null)
            NpyFile.Write(Path.Combine(dumpDirectory, "encoder_attention_mask.npy"), embedding.Mask, [1, embedding.Tokens]);

        // The fixed sketch as the ControlNet conditions on it: scribble map in [−1, 1], then the DC-AE encoder.
        var controlImage = new float[3 * height * width];
        ScribbleMap.ControlImage(FixedSketch(width, height), width, height, controlImage);
        Dump("control_image", controlImage, 1, 3, height, width);

        if (info.HasControlNet && info.HasEncoder)
        {
            var controlLatent = dcae.EncodeImages(controlImage, 1, height, width);
            for (int i = 0; i < controlLatent.Length; i++) controlLatent[i] *= info.ScalingFactor;
            var control = new ControlNetCall(step, controlLatent, [1f]);
            IReadOnlyList<float[]>? residuals = null;
            rows.Add(Time("ControlNet step", runs, warmup, cancellationToken, () => residuals = components.ControlNet(control)));
            Dump("controlnet_cond", controlLatent, 1, c, h, w);
            Dump("conditioning_scale", control.ConditioningScale, 1);
            for (int i = 0; i < residuals!.Count; i++)
                Dump($"out.controlnet_block_{i}", residuals[i], 1, (long)h * w, residuals[i].Length / ((long)h * w));
            step = step with { ControlBlocks = residuals };
        }
        else
        {
            skipped.Add("ControlNet step (no ControlNet, or no DC-AE encoder, is loaded)");
        }

        float[]? velocity = null;
        rows.Add(Time(step.ControlBlocks is null ? "transformer step" : "transformer step (with the ControlNet residuals)", runs, warmup,
            cancellationToken, () => velocity = components.Transformer(step)));
        Dump("out.transformer", velocity, 1, c, h, w);

        if (info.HasEncoder)
        {
            float[]? encoded = null;
            rows.Add(Time("DC-AE encode", runs, warmup, cancellationToken, () => encoded = dcae.EncodeImages(controlImage, 1, height, width)));
            Dump("out.dcae_encode", encoded, 1, c, h, w);
        }
        else
            skipped.Add("DC-AE encode (the checkpoint has no DC-AE encoder)");

        var image = new float[3 * height * width];
        rows.Add(Time("DC-AE decode", runs, warmup, cancellationToken, () => dcae.Decode(latents, 1, h, w, image)));
        Dump("out.dcae_decode", image, 1, 3, height, width);

        if (preview is not null)
        {
            rows.Add(Time("tiny autoencoder encode", runs, warmup, cancellationToken, () => preview.EncodeImages(controlImage, 1, height, width)));
            var previewLatents = Normal(new Random(Seed + 1), preview.LatentChannels * h * w);
            rows.Add(Time("tiny autoencoder decode", runs, warmup, cancellationToken, () => preview.Decode(previewLatents, 1, h, w, image)));
        }

        return new ComponentBenchResult(width, height, warmup, components.Provider, info.Precision, rows, skipped);
    }

    /// <summary>Why <paramref name="width"/>×<paramref name="height"/> cannot be benched on this checkpoint, or null when it can.</summary>
    /// <param name="info">The checkpoint.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <returns>The reason, or null.</returns>
    public static string? SizeError(SanaSprintModelInfo info, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(info);
        int f = info.VaeScaleFactor;
        return width > 0 && height > 0 && width % f == 0 && height % f == 0
            ? null
            : $"the frame size must be a positive multiple of the autoencoder's scale factor {f} in both directions, but is {width}x{height}";
    }

    private static ComponentTiming Time(string name, int runs, int warmup, CancellationToken ct, Action call)
    {
        for (int i = 0; i < warmup; i++)
        {
            ct.ThrowIfCancellationRequested();
            call();
        }

        var samples = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            ct.ThrowIfCancellationRequested();
            long started = Stopwatch.GetTimestamp();
            call();
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return ComponentTiming.FromSamples(name, samples);
    }

    /// <summary>Standard-normal values (Box–Muller) from <paramref name="rng"/>.</summary>
    private static float[] Normal(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            v[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return v;
    }

    /// <summary>
    /// The fixed random caption embedding that stands in for a text encoder's output (e.g. on the full-size random
    /// checkpoints): values in [−1, 1), <see cref="RandomCaptionTokens"/> positions, the first 24 real tokens.
    /// </summary>
    /// <param name="channels">Caption channels.</param>
    /// <returns>The embedding (the same on every call).</returns>
    public static PromptEmbedding RandomEmbedding(int channels)
    {
        var rng = new Random(5);
        var e = new float[RandomCaptionTokens * channels];
        for (int i = 0; i < e.Length; i++) e[i] = (float)(rng.NextDouble() * 2 - 1);
        var mask = new long[RandomCaptionTokens];
        for (int i = 0; i < RandomCaptionRealTokens; i++) mask[i] = 1;
        return new PromptEmbedding(e, mask, RandomCaptionTokens, channels);
    }

    /// <summary>The fixed bench sketch: black lines on white, a circle of a third of the short side and the main diagonal.</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <returns>The sketch.</returns>
    public static RgbImage FixedSketch(int width, int height)
    {
        var px = new byte[width * height * 3];
        Array.Fill(px, (byte)255);
        double r = Math.Min(width, height) / 3.0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double d = Math.Sqrt((x - width / 2.0) * (x - width / 2.0) + (y - height / 2.0) * (y - height / 2.0));
                if (Math.Abs(d - r) < 2 || Math.Abs((long)x * height - (long)y * width) < 2L * Math.Max(width, height))
                    px.AsSpan((y * width + x) * 3, 3).Clear();
            }

        return new RgbImage(width, height, px);
    }
}
