namespace SanaSprint.Inference.Sampling;

/// <summary>Output of <see cref="ScmScheduler.Step(float[], int, float[], float[])"/> (diffusers <c>SCMSchedulerOutput</c>).</summary>
/// <param name="PrevSample">The sample for the next model call: cos(t)·denoised + sin(t)·σ_d·noise.</param>
/// <param name="Denoised">The predicted clean sample x₀ = cos(s)·sample − sin(s)·model_output.</param>
public sealed record ScmStepResult(float[] PrevSample, float[] Denoised);
