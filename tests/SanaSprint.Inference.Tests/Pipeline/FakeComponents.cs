using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Tests.Pipeline;

/// <summary>
/// Deterministic stand-in components with per-sample independent math, used to test the pipeline's own logic
/// (batching, noise, schedules, modes, cancellation). Real-graph behaviour is covered with the demo checkpoint.
/// </summary>
internal sealed class FakeComponents : ISanaSprintComponents
{
    public const int Channels = 4;
    public const int Factor = 8;
    public const int Caption = 6;

    public List<string> Calls { get; } = [];
    public List<int> TransformerBatchSizes { get; } = [];
    /// <summary>Each component call with its input shape, e.g. "transformer:2x8x4:control" (what a CUDA graph is captured per).</summary>
    public List<string> Shapes { get; } = [];
    public int PromptEncodes { get; private set; }
    public Action<int>? OnTransformer { get; set; }

    public SanaSprintModelInfo Info { get; } = new()
    {
        ModelName = "fake",
        LatentChannels = Channels,
        VaeScaleFactor = Factor,
        ScalingFactor = 0.41407f,
        CaptionChannels = Caption,
        HasControlNet = true,
        HasEncoder = true,
        HasTextEncoder = true,
        Scheduler = new ScmSchedulerConfig(),
    };

    public string Provider { get; set; } = "CPU";

    public TimeSpan RuntimeTime => TimeSpan.Zero;

    public IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts)
    {
        lock (Calls) { Calls.Add($"text:{prompts.Count}"); PromptEncodes++; }
        return prompts.Select(p =>
        {
            int tokens = Math.Max(1, p.Length % 5 + 1);
            var e = new float[tokens * Caption];
            for (int i = 0; i < e.Length; i++) e[i] = ((p.GetHashCode(StringComparison.Ordinal) >> (i % 16)) & 7) / 7f;
            var m = new long[tokens];
            Array.Fill(m, 1L);
            return new PromptEmbedding(e, m, tokens, Caption);
        }).ToList();
    }

    public float[] Transformer(TransformerCall call)
    {
        lock (Calls) { Calls.Add($"transformer:{call.Batch}"); TransformerBatchSizes.Add(call.Batch); Shapes.Add($"transformer:{call.Batch}x{call.Height}x{call.Width}:{(call.ControlBlocks is null ? "text" : "control")}"); }
        OnTransformer?.Invoke(call.Batch);
        int n = call.HiddenStates.Length / call.Batch;
        var v = new float[call.HiddenStates.Length];
        for (int b = 0; b < call.Batch; b++)
        {
            // Masked mean of this sample's prompt embedding.
            double sum = 0; int count = 0;
            for (int t = 0; t < call.Tokens; t++)
            {
                if (call.PromptMask[b * call.Tokens + t] == 0) continue;
                for (int c = 0; c < Caption; c++) sum += call.PromptEmbeds[(b * call.Tokens + t) * Caption + c];
                count += Caption;
            }

            float text = count > 0 ? (float)(sum / count) : 0f;
            for (int i = 0; i < n; i++)
            {
                float control = 0;
                if (call.ControlBlocks is { } blocks) foreach (var blk in blocks) control += blk[b * n + i];
                v[b * n + i] = MathF.Tanh(call.HiddenStates[b * n + i]) * 0.3f + call.Timestep[b] * 0.1f + call.Guidance[b] + text * 0.2f + control;
            }
        }

        return v;
    }

    public IReadOnlyList<float[]> ControlNet(ControlNetCall call)
    {
        lock (Calls) { Calls.Add($"controlnet:{call.Step.Batch}"); Shapes.Add($"controlnet:{call.Step.Batch}x{call.Step.Height}x{call.Step.Width}"); }
        int n = call.ControlLatent.Length / call.Step.Batch;
        var r = new float[call.ControlLatent.Length];
        for (int b = 0; b < call.Step.Batch; b++)
            for (int i = 0; i < n; i++) r[b * n + i] = call.ControlLatent[b * n + i] * call.ConditioningScale[b] * 0.5f;
        return [r, r];
    }

    public float[] EncodeImages(float[] images, int batch, int height, int width)
    {
        lock (Calls) { Calls.Add($"encode:{batch}"); Shapes.Add($"encode:{batch}x{height}x{width}"); }
        int h = height / Factor, w = width / Factor, plane = height * width;
        var z = new float[batch * Channels * h * w];
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < Channels; c++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        double s = 0;
                        for (int dy = 0; dy < Factor; dy++)
                            for (int dx = 0; dx < Factor; dx++)
                                s += images[b * 3 * plane + (c % 3) * plane + (y * Factor + dy) * width + x * Factor + dx];
                        z[((b * Channels + c) * h + y) * w + x] = (float)(s / (Factor * Factor)) * (1 + c);
                    }
        return z;
    }

    public void Decode(float[] latents, int batch, int height, int width, Memory<float> destination)
    {
        lock (Calls) { Calls.Add($"decode:{batch}"); Shapes.Add($"decode:{batch}x{height}x{width}"); }
        int H = height * Factor, W = width * Factor;
        var img = destination.Span;
        for (int b = 0; b < batch; b++)
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++)
                        img[((b * 3 + c) * H + y) * W + x] = MathF.Tanh(latents[((b * Channels + c) * height + y / Factor) * width + x / Factor] * 0.5f);
    }

    public float[] Decode(float[] latents, int batch, int height, int width)
    {
        var img = new float[batch * 3 * height * Factor * width * Factor];
        Decode(latents, batch, height, width, img);
        return img;
    }

    public void Dispose()
    {
    }
}
