using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Verification.Precision;

/// <summary>
/// The loaded components with the transformer, ControlNet and DC-AE calls answered by the given sessions instead (the fp16
/// emulation graphs), or by the loaded fp32 components where no session is given; the prompt encoder is always the loaded one.
/// Remembers the latents of the last <see cref="Decode"/> (the pipeline's final latent, divided by the scaling factor).
/// </summary>
/// <param name="inner">The loaded components (not owned).</param>
/// <param name="sessions">Sessions by component name (<c>transformer</c>, <c>controlnet</c>, <c>vae_encoder</c>, <c>vae_decoder</c>; not owned), or empty.</param>
/// <param name="residualWidth">The transformer's inner dimension (width of the ControlNet residual inputs).</param>
internal sealed class EmulatedComponents(ISanaSprintComponents inner, IReadOnlyDictionary<string, GraphSession> sessions, int residualWidth) : ISanaSprintComponents
{
    /// <summary>The latents the last decode received.</summary>
    public float[]? LastLatents { get; private set; }

    public SanaSprintModelInfo Info => inner.Info;

    public string Provider => inner.Provider;

    public TimeSpan RuntimeTime => inner.RuntimeTime;

    public IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts) => inner.EncodePrompts(prompts);

    public int? CountPromptTokens(string prompt) => inner.CountPromptTokens(prompt);

    public float[] Transformer(TransformerCall call)
    {
        if (!sessions.TryGetValue("transformer", out var session)) return inner.Transformer(call);
        var inputs = CommonInputs(call);
        long tokens = (long)call.Height * call.Width;
        for (int i = 0; session.InputNames.Contains($"controlnet_block_samples_{i}"); i++)
        {
            var block = call.ControlBlocks is { } blocks && i < blocks.Count ? blocks[i] : new float[call.Batch * tokens * residualWidth];
            inputs[$"controlnet_block_samples_{i}"] = (block, [call.Batch, tokens, residualWidth]);
        }

        return session.Run(inputs)[0];
    }

    public IReadOnlyList<float[]> ControlNet(ControlNetCall call)
    {
        if (!sessions.TryGetValue("controlnet", out var session)) return inner.ControlNet(call);
        if (call.ConditioningScale.Any(s => s != call.ConditioningScale[0]))
            throw new NotSupportedException("The fp16 emulation runs one conditioning scale per batch.");
        var step = call.Step;
        var inputs = CommonInputs(step);
        inputs["controlnet_cond"] = (call.ControlLatent, [step.Batch, Info.LatentChannels, step.Height, step.Width]);
        inputs["conditioning_scale"] = (new[] { call.ConditioningScale[0] }, [1]);
        return session.Run(inputs);
    }

    public float[] EncodeImages(float[] images, int batch, int height, int width)
    {
        if (!sessions.TryGetValue("vae_encoder", out var session)) return inner.EncodeImages(images, batch, height, width);
        return session.Run(new Dictionary<string, (Array, long[])> { [session.InputNames[0]] = (images, [batch, 3, height, width]) })[0];
    }

    public void Decode(float[] latents, int batch, int height, int width, Memory<float> destination)
    {
        LastLatents = (float[])latents.Clone();
        if (!sessions.TryGetValue("vae_decoder", out var session))
        {
            inner.Decode(latents, batch, height, width, destination);
            return;
        }

        var image = session.Run(new Dictionary<string, (Array, long[])> { [session.InputNames[0]] = (latents, [batch, Info.LatentChannels, height, width]) })[0];
        image.AsSpan().CopyTo(destination.Span);
    }

    private Dictionary<string, (Array Data, long[] Shape)> CommonInputs(TransformerCall call) => new(StringComparer.Ordinal)
    {
        ["hidden_states"] = (call.HiddenStates, [call.Batch, Info.LatentChannels, call.Height, call.Width]),
        ["encoder_hidden_states"] = (call.PromptEmbeds, [call.Batch, call.Tokens, Info.CaptionChannels]),
        ["encoder_attention_mask"] = (call.PromptMask, [call.Batch, call.Tokens]),
        ["timestep"] = (call.Timestep, [call.Batch]),
        ["guidance"] = (call.Guidance, [call.Batch]),
    };

    /// <summary>Owns nothing: the caller disposes the loaded components and the sessions.</summary>
    public void Dispose()
    {
    }
}
