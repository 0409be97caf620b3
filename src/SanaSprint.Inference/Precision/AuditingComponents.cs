using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Precision;

/// <summary>
/// The loaded components, each call of which also runs the component's <see cref="TappedSession"/> on the same inputs:
/// the pipeline's recipe drives the audit, so the taps see exactly what real frames feed the graphs.
/// </summary>
/// <param name="inner">The components that produce the results (owned).</param>
/// <param name="sessions">The tapped sessions by component name (<c>transformer</c>, <c>controlnet</c>, <c>vae_encoder</c>, <c>vae_decoder</c>; owned).</param>
/// <param name="residualWidth">The transformer's inner dimension (width of the ControlNet residual inputs).</param>
/// <param name="statistics">Receives the taps.</param>
internal sealed class AuditingComponents(ISanaSprintComponents inner, IReadOnlyDictionary<string, TappedSession> sessions, int residualWidth,
    TapStatistics statistics) : ISanaSprintComponents
{
    /// <summary>The largest |x| of the ControlNet residuals the components returned (an independent check of the taps).</summary>
    public double ControlResidualMaxAbs { get; private set; }

    public SanaSprintModelInfo Info => inner.Info;

    public string Provider => inner.Provider;

    public TimeSpan RuntimeTime => inner.RuntimeTime;

    public IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts) => inner.EncodePrompts(prompts);

    public int? CountPromptTokens(string prompt) => inner.CountPromptTokens(prompt);

    public float[] Transformer(TransformerCall call)
    {
        var inputs = CommonInputs(call);
        long tokens = (long)call.Height * call.Width;
        for (int i = 0; ; i++)
        {
            string name = $"controlnet_block_samples_{i}";
            if (!sessions["transformer"].InputNames.Contains(name)) break;
            var block = call.ControlBlocks is { } blocks && i < blocks.Count ? blocks[i] : new float[call.Batch * tokens * residualWidth];
            inputs[name] = (block, [call.Batch, tokens, residualWidth]);
        }

        sessions["transformer"].Run(inputs, statistics);
        return inner.Transformer(call);
    }

    public IReadOnlyList<float[]> ControlNet(ControlNetCall call)
    {
        var step = call.Step;
        var inputs = CommonInputs(step);
        bool uniform = call.ConditioningScale.All(s => s == call.ConditioningScale[0]);
        inputs["controlnet_cond"] = (call.ControlLatent, [step.Batch, Info.LatentChannels, step.Height, step.Width]);
        inputs["conditioning_scale"] = (new[] { uniform ? call.ConditioningScale[0] : 1f }, [1]);
        sessions["controlnet"].Run(inputs, statistics);
        var residuals = inner.ControlNet(call);
        foreach (var r in residuals)
            foreach (float v in r)
                if (Math.Abs(v) > ControlResidualMaxAbs) ControlResidualMaxAbs = Math.Abs(v);
        return residuals;
    }

    public float[] EncodeImages(float[] images, int batch, int height, int width)
    {
        var session = sessions["vae_encoder"];
        session.Run(new Dictionary<string, (Array, long[])> { [session.InputNames[0]] = (images, [batch, 3, height, width]) }, statistics);
        return inner.EncodeImages(images, batch, height, width);
    }

    public void Decode(float[] latents, int batch, int height, int width, Memory<float> destination)
    {
        var session = sessions["vae_decoder"];
        session.Run(new Dictionary<string, (Array, long[])> { [session.InputNames[0]] = (latents, [batch, Info.LatentChannels, height, width]) }, statistics);
        inner.Decode(latents, batch, height, width, destination);
    }

    private Dictionary<string, (Array Data, long[] Shape)> CommonInputs(TransformerCall call) => new(StringComparer.Ordinal)
    {
        ["hidden_states"] = (call.HiddenStates, [call.Batch, Info.LatentChannels, call.Height, call.Width]),
        ["encoder_hidden_states"] = (call.PromptEmbeds, [call.Batch, call.Tokens, Info.CaptionChannels]),
        ["encoder_attention_mask"] = (call.PromptMask, [call.Batch, call.Tokens]),
        ["timestep"] = (call.Timestep, [call.Batch]),
        ["guidance"] = (call.Guidance, [call.Batch]),
    };

    public void Dispose()
    {
        foreach (var s in sessions.Values) s.Dispose();
        inner.Dispose();
    }
}
