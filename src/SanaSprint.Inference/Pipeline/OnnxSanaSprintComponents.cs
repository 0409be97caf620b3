using System.Diagnostics;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// The pipeline's components as resident ONNX Runtime sessions over the graphs built from a checkpoint: transformer,
/// optional ControlNet, DC-AE encoder and decoder, optional Gemma-2 prompt encoder. Inputs are fed by graph input name
/// (see <c>Onnx/README.md</c> and the model builders' graph contracts).
/// </summary>
public sealed class OnnxSanaSprintComponents : ISanaSprintComponents
{
    private readonly OnnxComponentSession _transformer;
    private readonly OnnxComponentSession? _controlNet;
    private readonly OnnxComponentSession? _encoder;
    private readonly OnnxComponentSession _decoder;
    private readonly PromptEncoder? _promptEncoder;
    private readonly int _controlBlocks;
    private readonly Dictionary<string, float[]> _zeroBlocks = new(StringComparer.Ordinal);
    private readonly Lock _zeroGate = new();
    private long _textTicks;

    /// <summary>Wraps loaded sessions.</summary>
    /// <param name="info">Facts about the checkpoint.</param>
    /// <param name="provider">Execution provider name.</param>
    /// <param name="transformer">Transformer session (with <paramref name="controlBlocks"/> residual inputs).</param>
    /// <param name="controlNet">ControlNet session, or null.</param>
    /// <param name="encoder">DC-AE encoder session, or null.</param>
    /// <param name="decoder">DC-AE decoder session.</param>
    /// <param name="promptEncoder">Tokenizer + Gemma-2 prompt encoder, or null (embeddings must then be given); owned.</param>
    /// <param name="controlBlocks">Number of ControlNet residual inputs of the transformer graph.</param>
    public OnnxSanaSprintComponents(SanaSprintModelInfo info, string provider, OnnxComponentSession transformer, OnnxComponentSession? controlNet,
        OnnxComponentSession? encoder, OnnxComponentSession decoder, PromptEncoder? promptEncoder, int controlBlocks)
    {
        Info = info ?? throw new ArgumentNullException(nameof(info));
        Provider = provider;
        _transformer = transformer ?? throw new ArgumentNullException(nameof(transformer));
        _controlNet = controlNet;
        _encoder = encoder;
        _decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        _promptEncoder = promptEncoder;
        _controlBlocks = controlBlocks;
    }

    /// <inheritdoc />
    public SanaSprintModelInfo Info { get; }

    /// <inheritdoc />
    public string Provider { get; }

    /// <inheritdoc />
    public TimeSpan RuntimeTime
    {
        get
        {
            var t = _transformer.OrtTime + _decoder.OrtTime;
            if (_controlNet is not null) t += _controlNet.OrtTime;
            if (_encoder is not null) t += _encoder.OrtTime;
            return t + TimeSpan.FromTicks(Interlocked.Read(ref _textTicks));
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts)
    {
        if (_promptEncoder is null) throw new InvalidOperationException("This checkpoint has no text encoder; pass prompt embeddings.");
        // Tokenize with the complex human instruction, run Gemma-2, keep BOS + the last N − 1 positions (Text/PromptEncoder).
        long started = Stopwatch.GetTimestamp();
        var results = _promptEncoder.Encode(prompts);
        if (results.Any(r => !r.CacheHit)) Interlocked.Add(ref _textTicks, Stopwatch.GetElapsedTime(started).Ticks);
        return results.Select(r => new PromptEmbedding(r.Encoding.Embeddings, r.Encoding.Mask, r.Encoding.SequenceLength, r.Encoding.HiddenSize)).ToList();
    }

    /// <inheritdoc />
    public int? CountPromptTokens(string prompt) => _promptEncoder?.Tokenizer.CountPromptTokens(prompt, _promptEncoder.DefaultOptions);

    /// <inheritdoc />
    public float[] Transformer(TransformerCall call)
    {
        var inputs = CommonInputs(call);
        if (_controlBlocks > 0)
        {
            long tokens = (long)call.Height * call.Width;
            // Text-only batches on a ControlNet-wired graph get zero residuals (adding 0 is the text-only result).
            int d = ResidualWidth();
            for (int i = 0; i < _controlBlocks; i++)
            {
                bool given = call.ControlBlocks is { } blocks && i < blocks.Count;
                float[] block = given ? call.ControlBlocks![i] : Zeros(checked((int)(call.Batch * tokens * d)));
                inputs.Add(new HostTensor($"controlnet_block_samples_{i}", block, [call.Batch, tokens, d], IsStatic: !given));
            }
        }

        var shape = new long[] { call.Batch, Info.LatentChannels, call.Height, call.Width };
        return _transformer.Run(Select(_transformer, inputs), [shape])[0];
    }

    /// <inheritdoc />
    public IReadOnlyList<float[]> ControlNet(ControlNetCall call)
    {
        if (_controlNet is null) throw new InvalidOperationException("No ControlNet is loaded.");
        var step = call.Step;
        var inputs = CommonInputs(step);
        // The graph takes one scale; per-sample scales are applied here when they differ.
        bool uniform = call.ConditioningScale.All(s => s == call.ConditioningScale[0]);
        inputs.Add(new HostTensor("controlnet_cond", call.ControlLatent, [step.Batch, Info.LatentChannels, step.Height, step.Width], IsStatic: true));
        inputs.Add(new HostTensor("conditioning_scale", new[] { uniform ? call.ConditioningScale[0] : 1f }, [1]));
        long tokens = (long)step.Height * step.Width;
        long[] blockShape = [step.Batch, tokens, ResidualWidth()];
        var blocks = _controlNet.Run(Select(_controlNet, inputs), Enumerable.Repeat(blockShape, _controlNet.OutputNames.Count).ToList());
        if (!uniform)
        {
            foreach (var block in blocks)
            {
                int per = block.Length / step.Batch;
                for (int b = 0; b < step.Batch; b++)
                {
                    float s = call.ConditioningScale[b];
                    var span = block.AsSpan(b * per, per);
                    for (int i = 0; i < span.Length; i++) span[i] *= s;
                }
            }
        }

        return blocks;
    }

    /// <inheritdoc />
    public float[] EncodeImages(float[] images, int batch, int height, int width)
    {
        if (_encoder is null) throw new InvalidOperationException("No DC-AE encoder is loaded.");
        int f = Info.VaeScaleFactor;
        return _encoder.Run([new HostTensor(_encoder.InputNames[0], images, [batch, 3, height, width])],
            [[batch, Info.LatentChannels, height / f, width / f]])[0];
    }

    /// <inheritdoc />
    public void Decode(float[] latents, int batch, int height, int width, Memory<float> destination)
    {
        int f = Info.VaeScaleFactor;
        _decoder.RunInto([new HostTensor(_decoder.InputNames[0], latents, [batch, Info.LatentChannels, height, width])],
            [[batch, 3, height * f, width * f]], [destination]);
    }

    private List<HostTensor> CommonInputs(TransformerCall call) =>
    [
        new("hidden_states", call.HiddenStates, [call.Batch, Info.LatentChannels, call.Height, call.Width]),
        new("encoder_hidden_states", call.PromptEmbeds, [call.Batch, call.Tokens, Info.CaptionChannels], IsStatic: true),
        new("encoder_attention_mask", call.PromptMask, [call.Batch, call.Tokens], IsStatic: true),
        new("timestep", call.Timestep, [call.Batch]),
        new("guidance", call.Guidance, [call.Batch]),
    ];

    /// <summary>The inputs the graph declares (e.g. a standard Sana ControlNet takes no <c>guidance</c>).</summary>
    private static List<HostTensor> Select(OnnxComponentSession session, List<HostTensor> available)
    {
        var selected = new List<HostTensor>(session.InputNames.Count);
        foreach (var name in session.InputNames)
        {
            var t = available.FirstOrDefault(a => a.Name == name)
                ?? throw new InvalidOperationException($"{session.Component}: graph input '{name}' is not one the pipeline provides ({string.Join(", ", available.Select(a => a.Name))}).");
            selected.Add(t);
        }

        return selected;
    }

    private int ResidualWidth()
    {
        var dims = _transformer.InputDimensions("controlnet_block_samples_0");
        return dims is { Length: 3 } && dims[2] > 0 ? (int)dims[2] : throw new InvalidOperationException("transformer: the graph does not declare the ControlNet residual width.");
    }

    private float[] Zeros(int size)
    {
        lock (_zeroGate)
        {
            string key = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!_zeroBlocks.TryGetValue(key, out var z)) _zeroBlocks[key] = z = new float[size];
            return z;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _transformer.Dispose();
        _controlNet?.Dispose();
        _encoder?.Dispose();
        _decoder.Dispose();
        _promptEncoder?.Dispose();
    }
}
