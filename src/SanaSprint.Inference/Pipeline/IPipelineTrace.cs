namespace SanaSprint.Inference.Pipeline;

/// <summary>Receives intermediate tensors of a run (golden verification, debugging).</summary>
public interface IPipelineTrace
{
    /// <summary>
    /// Called with a batch tensor: <c>stepI.hidden_states</c>, <c>stepI.timestep</c>, <c>stepI.guidance</c> (transformer inputs),
    /// <c>stepI.transformer_out</c>, <c>latents</c>, <c>vae_decode_input</c>, <c>vae_decode_output</c>, <c>image</c> (NHWC in [0, 1]).
    /// </summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="values">The batch's values, row-major (do not keep the array).</param>
    void Record(string name, float[] values);
}
