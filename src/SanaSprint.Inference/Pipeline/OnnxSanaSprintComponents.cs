using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
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
    private readonly Lock _residualGate = new();
    private DeviceResiduals? _residuals;
    private bool? _residualsOnDevice;
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
    /// <param name="transfers">The host↔device bytes the sessions move (their factory's counter), or null.</param>
    public OnnxSanaSprintComponents(SanaSprintModelInfo info, string provider, OnnxComponentSession transformer, OnnxComponentSession? controlNet,
        OnnxComponentSession? encoder, OnnxComponentSession decoder, PromptEncoder? promptEncoder, int controlBlocks, HostDeviceTransfers? transfers = null)
    {
        Transfers = transfers ?? new HostDeviceTransfers();
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

    /// <summary>
    /// Bytes the sessions copied between host and device (counted on CUDA, and on the CPU provider when the sessions run
    /// with a stand-in device; zero otherwise, where nothing crosses).
    /// </summary>
    public HostDeviceTransfers Transfers { get; }

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
    /// <remarks>
    /// The residuals stay in device memory: the ControlNet's outputs are bound to device buffers kept per shape
    /// (<see cref="DeviceResiduals"/>) and the transformer binds those same buffers as its
    /// <c>controlnet_block_samples_i</c> inputs (IOBinding, onnxruntime <c>docs/api/csharp</c> "IOBinding"). On the CPU
    /// provider the device is CPU memory and the same binding calls run. Per-sample conditioning scales that differ
    /// within a batch (the graph takes one scale) and residual types that differ between the graphs take the host path.
    /// </remarks>
    public float[] ControlledTransformer(ControlNetCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (_controlNet is null) throw new InvalidOperationException("No ControlNet is loaded.");
        var step = call.Step;
        bool uniform = call.ConditioningScale.All(s => s == call.ConditioningScale[0]);
        if (!uniform || !ResidualsCanStayOnDevice()) return Transformer(step with { ControlBlocks = ControlNet(call) });

        long tokens = (long)step.Height * step.Width;
        int d = ResidualWidth();
        var common = CommonInputs(step);
        var controlInputs = new List<HostTensor>(common)
        {
            new("controlnet_cond", call.ControlLatent, [step.Batch, Info.LatentChannels, step.Height, step.Width], IsStatic: true),
            new("conditioning_scale", new[] { call.ConditioningScale[0] }, [1]),
        };
        long[] blockShape = [step.Batch, tokens, d];
        var outputs = _controlNet.OutputNames;
        var transformerInputs = new List<HostTensor>(common);
        // A transformer wired for more blocks than the ControlNet has gets zeros for the rest (adding 0 changes nothing).
        for (int i = outputs.Count; i < _controlBlocks; i++)
            transformerInputs.Add(new HostTensor($"controlnet_block_samples_{i}", Zeros(checked((int)(step.Batch * tokens * d))), blockShape, IsStatic: true));

        lock (_residualGate)
        {
            _residuals ??= new DeviceResiduals(outputs.Count, shape => _transformer.AllocateOnDevice(_controlNet.OutputTypes[outputs[0]], shape));
            var buffers = _residuals.For(step.Batch, tokens, d);
            var produced = new Dictionary<string, OrtValue>(outputs.Count, StringComparer.Ordinal);
            var consumed = new Dictionary<string, OrtValue>(_controlBlocks, StringComparer.Ordinal);
            for (int i = 0; i < outputs.Count; i++)
            {
                produced[outputs[i]] = buffers[i];
                if (i < _controlBlocks) consumed[$"controlnet_block_samples_{i}"] = buffers[i];
            }

            _controlNet.RunOnDevice(Select(_controlNet, controlInputs), Enumerable.Repeat(blockShape, outputs.Count).ToList(), null, produced);
            var shape = new long[] { step.Batch, Info.LatentChannels, step.Height, step.Width };
            return _transformer.RunOnDevice(Select(_transformer, transformerInputs, consumed.Keys), [shape], consumed, null)[0]!;
        }
    }

    /// <summary>The sessions a frame runs, which CUDA graphs may capture (the prompt encoder's is not among them), by component name.</summary>
    internal IReadOnlyList<OnnxComponentSession> FrameSessions =>
        new[] { _transformer, _controlNet, _encoder, _decoder }.OfType<OnnxComponentSession>().ToList();

    /// <summary>Outputs (residual blocks) of the ControlNet graph; 0 without one.</summary>
    internal int ControlNetOutputs => _controlNet?.OutputNames.Count ?? 0;

    /// <summary>Width of a residual (the transformer's inner_dim); 0 when the transformer takes none.</summary>
    internal int ResidualWidthOrZero => _controlBlocks > 0 ? ResidualWidth() : 0;

    /// <summary>The residual buffer sets kept (tests: one per served batch shape).</summary>
    internal int ResidualSignatures
    {
        get
        {
            lock (_residualGate) return _residuals?.Count ?? 0;
        }
    }

    /// <summary>The residual buffers of a shape (tests: the same buffers for the same shape).</summary>
    internal OrtValue[] ResidualBuffers(int batch, int height, int width)
    {
        lock (_residualGate) return _residuals!.For(batch, (long)height * width, ResidualWidth());
    }

    /// <summary>True when every ControlNet output has the type of the transformer input it feeds (the graphs' contract: float).</summary>
    private bool ResidualsCanStayOnDevice() => _residualsOnDevice ??= _controlNet is not null && _controlNet.OutputNames.Count > 0
        && _controlNet.OutputNames.Select((name, i) => (name, i)).All(o => o.i >= _controlBlocks
            || (_transformer.InputTypes.TryGetValue($"controlnet_block_samples_{o.i}", out var t) && t == _controlNet.OutputTypes[o.name]))
        && _controlNet.OutputNames.All(n => _controlNet.OutputTypes[n] == _controlNet.OutputTypes[_controlNet.OutputNames[0]]);

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
            ["sample"], [[batch, 3, height * f, width * f]], [destination]);
    }

    /// <inheritdoc />
    /// <remarks>The decoder graph's <c>image</c> output (built with <c>ModelBuildOptions.ImageOutput</c>) is the only one
    /// computed into host memory; a decoder graph without it decodes to floats and quantises on the host.</remarks>
    public void DecodeToImage(float[] latents, int batch, int height, int width, Memory<byte> destination)
    {
        if (!_decoder.OutputTypes.ContainsKey("image"))
        {
            ISanaSprintComponents.DecodeOnHost(this, latents, batch, height, width, destination);
            return;
        }

        int f = Info.VaeScaleFactor;
        _decoder.RunInto([new HostTensor(_decoder.InputNames[0], latents, [batch, Info.LatentChannels, height, width])],
            ["image"], [[batch, height * f, width * f, 3]], [destination]);
    }

    private List<HostTensor> CommonInputs(TransformerCall call) =>
    [
        new("hidden_states", call.HiddenStates, [call.Batch, Info.LatentChannels, call.Height, call.Width]),
        new("encoder_hidden_states", call.PromptEmbeds, [call.Batch, call.Tokens, Info.CaptionChannels], IsStatic: true),
        new("encoder_attention_mask", call.PromptMask, [call.Batch, call.Tokens], IsStatic: true),
        new("timestep", call.Timestep, [call.Batch]),
        new("guidance", call.Guidance, [call.Batch]),
    ];

    /// <summary>The inputs the graph declares (e.g. a standard Sana ControlNet takes no <c>guidance</c>), less those bound on the device.</summary>
    private static List<HostTensor> Select(OnnxComponentSession session, List<HostTensor> available, IEnumerable<string>? onDevice = null)
    {
        var selected = new List<HostTensor>(session.InputNames.Count);
        foreach (var name in session.InputNames)
        {
            if (onDevice is not null && onDevice.Contains(name)) continue;
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
        // The residual buffers come from the transformer session's allocator: released before it.
        lock (_residualGate) _residuals?.Dispose();
        _transformer.Dispose();
        _controlNet?.Dispose();
        _encoder?.Dispose();
        _decoder.Dispose();
        _promptEncoder?.Dispose();
    }
}
