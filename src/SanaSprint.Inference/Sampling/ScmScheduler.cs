using System.Runtime.CompilerServices;

namespace SanaSprint.Inference.Sampling;

/// <summary>
/// The sCM (continuous-time consistency) sampler of SANA-Sprint in TrigFlow parameterisation: timestep lists for
/// 1–4 steps, the per-step update, and the flow ↔ TrigFlow wrapping around the transformer call.
/// </summary>
/// <remarks>
/// Ported from diffusers <c>schedulers/scheduling_scm.py</c> <c>SCMScheduler</c> and the denoising loop of
/// <c>pipelines/sana/pipeline_sana_sprint.py</c> @ 58eb52c. TrigFlow angles s lie in [0, π/2]: x_s = cos(s)·x₀ + sin(s)·σ_d·ε.
/// The transformer is a flow-matching model, so each call converts s to flow time t' = sin s / (cos s + sin s), scales
/// its input, and converts its velocity back to a TrigFlow output. A <see cref="ScmScheduler"/> instance holds the
/// timesteps of one run (<see cref="SetTimesteps"/>), and <see cref="Step(float[], int, float[], float[])"/> reads its
/// angles from them; the pipeline and the golden verifier both go through that pair. The formulas are static and thread-safe. The span methods run
/// on every frame and are compiled optimised from the first call (no tier-0 code in the first frames).
/// </remarks>
public sealed class ScmScheduler
{
    /// <summary>
    /// First TrigFlow angle. max_timesteps = arctan(80/0.5) = 1.56454 is the default from the sCM paper; SANA-Sprint
    /// chooses 1.57080 (≈ π/2) instead.
    /// </summary>
    public const float DefaultMaxTimesteps = 1.57080f;

    /// <summary>The middle angle of the default 2-step schedule.</summary>
    public const float DefaultIntermediateTimesteps = 1.3f;

    /// <summary>The transformer's <c>guidance_embeds_scale</c> (NVlabs <c>cfg_embed_scale</c>): embedded guidance = scale × 0.1.</summary>
    public const float DefaultGuidanceEmbedsScale = 0.1f;

    /// <summary>Creates a scheduler.</summary>
    /// <param name="config">The scheduler config (defaults: trigflow, σ_d = 0.5).</param>
    public ScmScheduler(ScmSchedulerConfig? config = null)
    {
        Config = config ?? new ScmSchedulerConfig();
        Config.Validate();
    }

    /// <summary>The scheduler config.</summary>
    public ScmSchedulerConfig Config { get; }

    /// <summary>σ_d, the data standard deviation (0.5).</summary>
    public float SigmaData => Config.SigmaData;

    /// <summary>The TrigFlow angles of the run, descending, <see cref="NumInferenceSteps"/> + 1 values ending at 0.</summary>
    public float[] Timesteps { get; private set; } = [];

    /// <summary>Number of model calls of the run (0 before <see cref="SetTimesteps"/>).</summary>
    public int NumInferenceSteps { get; private set; }

    /// <summary>
    /// Sets the angles of a run (diffusers <c>set_timesteps</c>): a custom list when given, else for 2 steps
    /// [max, intermediate, 0], otherwise linspace(max, 0, n + 1).
    /// </summary>
    /// <param name="numInferenceSteps">Model calls, at least 1.</param>
    /// <param name="maxTimesteps">First angle; defaults to the config's (1.57080).</param>
    /// <param name="intermediateTimesteps">Middle angle for 2 steps; null gives linspace. Ignored for other step counts.</param>
    /// <param name="timesteps">Custom angles: <paramref name="numInferenceSteps"/> + 1 values, descending, in [0, π/2]. The last is usually 0.</param>
    /// <returns><see cref="Timesteps"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numInferenceSteps"/> is below 1 or above <c>num_train_timesteps</c>.</exception>
    /// <exception cref="ArgumentException">The custom list has the wrong length, is not descending or leaves [0, π/2].</exception>
    public float[] SetTimesteps(int numInferenceSteps, float? maxTimesteps = null, float? intermediateTimesteps = DefaultIntermediateTimesteps, IReadOnlyList<float>? timesteps = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numInferenceSteps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numInferenceSteps, Config.NumTrainTimesteps);
        float max = maxTimesteps ?? Config.MaxTimesteps;
        if (!(max > 0) || max > MathF.PI / 2 + 1e-3f)
            throw new ArgumentOutOfRangeException(nameof(maxTimesteps), max, "`max_timesteps` must be in (0, π/2].");

        float[] result;
        if (timesteps is not null)
        {
            if (timesteps.Count != numInferenceSteps + 1)
                throw new ArgumentException($"`timesteps` must have num_inference_steps + 1 = {numInferenceSteps + 1} values but has {timesteps.Count}.", nameof(timesteps));
            result = [.. timesteps];
            for (int i = 0; i < result.Length; i++)
            {
                if (!float.IsFinite(result[i]) || result[i] < 0 || result[i] > MathF.PI / 2 + 1e-3f)
                    throw new ArgumentException($"`timesteps[{i}]` must be an angle in [0, π/2] but is {result[i]}.", nameof(timesteps));
                if (i > 0 && result[i] > result[i - 1])
                    throw new ArgumentException($"`timesteps` must be descending but timesteps[{i}] = {result[i]} > timesteps[{i - 1}] = {result[i - 1]}.", nameof(timesteps));
            }
        }
        else if (intermediateTimesteps is { } mid && numInferenceSteps == 2)
        {
            if (!(mid > 0) || mid >= max)
                throw new ArgumentOutOfRangeException(nameof(intermediateTimesteps), mid, $"`intermediate_timesteps` must be in (0, max_timesteps = {max}).");
            result = [max, mid, 0f];
        }
        else
        {
            result = Linspace(max, 0f, numInferenceSteps + 1);
        }

        Timesteps = result;
        NumInferenceSteps = numInferenceSteps;
        return result;
    }

    /// <summary>
    /// The angles of an img2img run from a continuous strength: the run's schedule scaled so that it starts at
    /// strength × first angle. The step count is kept (so requests of different strengths batch together);
    /// strength 1 is the text-to-image schedule, strength 0 is all zeros (no change to the start latent).
    /// </summary>
    /// <param name="timesteps">A schedule from <see cref="SetTimesteps"/>.</param>
    /// <param name="strength">In [0, 1].</param>
    /// <returns>A new list of the same length.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="strength"/> is outside [0, 1].</exception>
    public static float[] ScaleTimestepsByStrength(IReadOnlyList<float> timesteps, float strength)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        if (!(strength >= 0 && strength <= 1)) throw new ArgumentOutOfRangeException(nameof(strength), strength, "`strength` must be in [0, 1].");
        var result = new float[timesteps.Count];
        for (int i = 0; i < result.Length; i++) result[i] = strength == 1f ? timesteps[i] : timesteps[i] * strength;
        return result;
    }

    /// <summary>
    /// One sCM step at time index <paramref name="timeIndex"/> (diffusers <c>step</c>): s = timesteps[i],
    /// t = timesteps[i + 1]; denoised = cos(s)·sample − sin(s)·model_output; prev = cos(t)·denoised + sin(t)·σ_d·noise.
    /// </summary>
    /// <param name="modelOutput">TrigFlow model output (σ_d·F), same length as <paramref name="sample"/>.</param>
    /// <param name="timeIndex">Index into <see cref="Timesteps"/>, 0 ≤ i &lt; <see cref="NumInferenceSteps"/>.</param>
    /// <param name="sample">Current sample x_s.</param>
    /// <param name="noise">Standard-normal noise (drawn every step, including the last, where sin(0) = 0 cancels it).</param>
    /// <returns>The next sample and the denoised prediction.</returns>
    /// <exception cref="InvalidOperationException"><see cref="SetTimesteps"/> was not called.</exception>
    /// <exception cref="ArgumentException">Lengths differ or the index is out of range.</exception>
    public ScmStepResult Step(float[] modelOutput, int timeIndex, float[] sample, float[] noise)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var prev = new float[sample.Length];
        var denoised = new float[sample.Length];
        Step(modelOutput, timeIndex, sample, noise, prev, denoised);
        return new ScmStepResult(prev, denoised);
    }

    /// <summary>
    /// <see cref="Step(float[], int, float[], float[])"/> into caller-owned buffers (the pipeline's form: no allocation per
    /// step). The angles come from <see cref="Timesteps"/>, so every caller runs the same schedule bookkeeping.
    /// </summary>
    /// <param name="modelOutput">TrigFlow model output (σ_d·F).</param>
    /// <param name="timeIndex">Index into <see cref="Timesteps"/>, 0 ≤ i &lt; <see cref="NumInferenceSteps"/>.</param>
    /// <param name="sample">Current sample x_s.</param>
    /// <param name="noise">Standard-normal noise.</param>
    /// <param name="prevSample">Receives cos(t)·denoised + sin(t)·σ_d·noise.</param>
    /// <param name="denoised">Receives cos(s)·sample − sin(s)·model_output.</param>
    /// <exception cref="InvalidOperationException"><see cref="SetTimesteps"/> was not called.</exception>
    /// <exception cref="ArgumentException">Lengths differ or the index is out of range.</exception>
    public void Step(ReadOnlySpan<float> modelOutput, int timeIndex, ReadOnlySpan<float> sample, ReadOnlySpan<float> noise, Span<float> prevSample, Span<float> denoised)
    {
        CheckTimeIndex(timeIndex);
        StepCore(modelOutput, sample, noise, Timesteps[timeIndex], Timesteps[timeIndex + 1], SigmaData, prevSample, denoised);
    }

    /// <summary>
    /// The transformer input of step <paramref name="timeIndex"/>: x_in = (x / σ_d) · sqrt(t'² + (1 − t')²) with t' the flow
    /// time of the step's angle (<see cref="ScmTimestep"/>).
    /// </summary>
    /// <param name="sample">x_s.</param>
    /// <param name="timeIndex">Index into <see cref="Timesteps"/>.</param>
    /// <param name="modelInput">Receives x_in.</param>
    /// <exception cref="InvalidOperationException"><see cref="SetTimesteps"/> was not called.</exception>
    public void ScaleModelInput(ReadOnlySpan<float> sample, int timeIndex, Span<float> modelInput)
    {
        CheckTimeIndex(timeIndex);
        ScaleModelInput(sample, Timesteps[timeIndex], SigmaData, modelInput);
    }

    /// <summary>The transformer's flow velocity at step <paramref name="timeIndex"/> → the TrigFlow model output (see the static overload).</summary>
    /// <param name="modelInput">x_in, as fed to the transformer.</param>
    /// <param name="flowPrediction">v, the transformer output.</param>
    /// <param name="timeIndex">Index into <see cref="Timesteps"/>.</param>
    /// <param name="modelOutput">Receives the TrigFlow output.</param>
    /// <exception cref="InvalidOperationException"><see cref="SetTimesteps"/> was not called.</exception>
    public void ConvertModelOutput(ReadOnlySpan<float> modelInput, ReadOnlySpan<float> flowPrediction, int timeIndex, Span<float> modelOutput)
    {
        CheckTimeIndex(timeIndex);
        ConvertModelOutput(modelInput, flowPrediction, Timesteps[timeIndex], SigmaData, modelOutput);
    }

    private void CheckTimeIndex(int timeIndex)
    {
        if (NumInferenceSteps == 0)
            throw new InvalidOperationException("Number of inference steps is 0: call SetTimesteps before Step.");
        if (timeIndex < 0 || timeIndex >= NumInferenceSteps)
            throw new ArgumentOutOfRangeException(nameof(timeIndex), timeIndex, $"`timeIndex` must be in [0, {NumInferenceSteps}).");
    }

    /// <summary>The step math for one sample (or a batch sharing its angles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StepCore(ReadOnlySpan<float> modelOutput, ReadOnlySpan<float> sample, ReadOnlySpan<float> noise, float s, float t, float sigmaData,
        Span<float> prevSample, Span<float> denoised)
    {
        int n = sample.Length;
        if (modelOutput.Length != n || noise.Length != n || prevSample.Length != n || denoised.Length != n)
            throw new ArgumentException($"sCM step tensors must have equal lengths: sample {n}, model_output {modelOutput.Length}, noise {noise.Length}, outputs {prevSample.Length}/{denoised.Length}.");

        // 4. TrigFlow parameterisation: pred_x0 = cos(s)·x_s − sin(s)·F (torch computes cos/sin of the float32 angle).
        float cosS = (float)Math.Cos(s), sinS = (float)Math.Sin(s);
        // 5. Noise re-injection at the next angle; noise is scaled by σ_d.
        float cosT = (float)Math.Cos(t), sinTsd = (float)Math.Sin(t) * sigmaData;
        for (int i = 0; i < n; i++)
        {
            float x0 = cosS * sample[i] - sinS * modelOutput[i];
            denoised[i] = x0;
            prevSample[i] = cosT * x0 + sinTsd * noise[i];
        }
    }

    /// <summary>Flow time of a TrigFlow angle: t' = sin s / (cos s + sin s) (1.0000037 at s = 1.5708 in float32).</summary>
    /// <param name="s">The angle.</param>
    /// <returns>The transformer's <c>timestep</c>.</returns>
    public static float ScmTimestep(float s)
    {
        float sin = MathF.Sin(s), cos = MathF.Cos(s);
        return sin / (cos + sin);
    }

    /// <summary>The factor sqrt(t'² + (1 − t')²) of the flow ↔ TrigFlow conversion.</summary>
    /// <param name="scmTimestep">t'.</param>
    /// <returns>The factor.</returns>
    public static float FlowNorm(float scmTimestep) => MathF.Sqrt(scmTimestep * scmTimestep + (1 - scmTimestep) * (1 - scmTimestep));

    /// <summary>Transformer input from the current sample: x_in = (x / σ_d) · sqrt(t'² + (1 − t')²).</summary>
    /// <param name="sample">x_s.</param>
    /// <param name="s">Current angle.</param>
    /// <param name="sigmaData">σ_d.</param>
    /// <param name="modelInput">Receives x_in.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleModelInput(ReadOnlySpan<float> sample, float s, float sigmaData, Span<float> modelInput)
    {
        if (modelInput.Length != sample.Length) throw new ArgumentException($"`modelInput` has {modelInput.Length} values; expected {sample.Length}.", nameof(modelInput));
        float norm = FlowNorm(ScmTimestep(s));
        for (int i = 0; i < sample.Length; i++) modelInput[i] = sample[i] / sigmaData * norm;
    }

    /// <summary>
    /// Converts the transformer's flow velocity v into the TrigFlow model output:
    /// σ_d · [(1 − 2t')·x_in + (1 − 2t' + 2t'²)·v] / sqrt(t'² + (1 − t')²).
    /// </summary>
    /// <param name="modelInput">x_in, as fed to the transformer.</param>
    /// <param name="flowPrediction">v, the transformer output.</param>
    /// <param name="s">Current angle.</param>
    /// <param name="sigmaData">σ_d.</param>
    /// <param name="modelOutput">Receives the TrigFlow output (may alias <paramref name="flowPrediction"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ConvertModelOutput(ReadOnlySpan<float> modelInput, ReadOnlySpan<float> flowPrediction, float s, float sigmaData, Span<float> modelOutput)
    {
        int n = modelInput.Length;
        if (flowPrediction.Length != n || modelOutput.Length != n)
            throw new ArgumentException($"flow → TrigFlow tensors must have equal lengths: x_in {n}, v {flowPrediction.Length}, output {modelOutput.Length}.");
        float tp = ScmTimestep(s);
        float norm = FlowNorm(tp);
        float a = 1 - 2 * tp, b = 1 - 2 * tp + 2 * tp * tp;
        for (int i = 0; i < n; i++) modelOutput[i] = (a * modelInput[i] + b * flowPrediction[i]) / norm * sigmaData;
    }

    /// <summary>The guidance value the transformer embeds: guidance_scale × guidance_embeds_scale (4.5 → 0.45).</summary>
    /// <param name="guidanceScale">User guidance scale.</param>
    /// <param name="guidanceEmbedsScale">The transformer's <c>guidance_embeds_scale</c>.</param>
    /// <returns>The embedded guidance.</returns>
    public static float EmbeddedGuidance(float guidanceScale, float guidanceEmbedsScale = DefaultGuidanceEmbedsScale) => guidanceScale * guidanceEmbedsScale;

    /// <summary>The decoder input from the last denoised sample: denoised / σ_d / scaling_factor.</summary>
    /// <param name="denoised">The last step's denoised sample.</param>
    /// <param name="sigmaData">σ_d.</param>
    /// <param name="scalingFactor">The autoencoder's <c>scaling_factor</c> (0.41407).</param>
    /// <param name="decoderInput">Receives the decoder input.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DecoderInput(ReadOnlySpan<float> denoised, float sigmaData, float scalingFactor, Span<float> decoderInput)
    {
        if (decoderInput.Length != denoised.Length) throw new ArgumentException($"`decoderInput` has {decoderInput.Length} values; expected {denoised.Length}.", nameof(decoderInput));
        for (int i = 0; i < denoised.Length; i++) decoderInput[i] = denoised[i] / sigmaData / scalingFactor;
    }

    /// <summary>torch.linspace in float32 (start + i·step, with the last value exact).</summary>
    private static float[] Linspace(float start, float end, int count)
    {
        var r = new float[count];
        if (count == 1) { r[0] = start; return r; }
        float step = (end - start) / (count - 1);
        // torch fills the first half from the start and the second half from the end.
        int half = count / 2;
        for (int i = 0; i < count; i++) r[i] = i < half ? start + step * i : end - step * (count - 1 - i);
        return r;
    }
}
