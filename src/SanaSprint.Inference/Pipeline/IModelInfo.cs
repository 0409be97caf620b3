namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// What a node that serves rooms needs to know about the model without running it: its description and availability,
/// and how many tokens a prompt takes. <see cref="IImageGenerator"/> extends it with the model run itself.
/// </summary>
/// <remarks>Implementations are thread-safe and cheap to call (no model run).</remarks>
public interface IModelInfo
{
    /// <summary>What model is behind this generator and whether it can produce frames now.</summary>
    GeneratorInfo Info { get; }

    /// <summary>
    /// Number of tokenizer tokens <paramref name="prompt"/> takes after the model's own preparation (lower-casing and
    /// stripping surrounding whitespace, as the text encoder does), without the complex human instruction and without BOS.
    /// </summary>
    /// <remarks>
    /// Cheap (tokenization only, no model run) and thread-safe, so callers may check every prompt they accept. The default
    /// returns <c>null</c>: the generator has no tokenizer, or its model is not loaded yet.
    /// </remarks>
    /// <param name="prompt">The prompt as typed.</param>
    /// <returns>The token count, or <c>null</c> when this generator cannot count tokens (now).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="prompt"/> is null.</exception>
    int? CountPromptTokens(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return null;
    }
}
