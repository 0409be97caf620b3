// Ported from diffusers pipeline_sana_sprint.py SanaSprintPipeline._get_gemma_prompt_embeds / _text_preprocessing @ 58eb52c
// (and NVlabs Sana app/sana_sprint_pipeline.py for the PromptStyle.NvLabs variant).
using System.Collections.Concurrent;

namespace SanaSprint.Inference.Text;

/// <summary>Which reference's prompt handling to reproduce (diffusers' SanaSprintPipeline or NVlabs' Sana repository).</summary>
public enum PromptStyle
{
    /// <summary>diffusers (<c>clean_caption=False</c>): <c>prompt.lower().strip()</c>; the instruction quotes 'Enhanced prompt' with single quotes.</summary>
    Diffusers,

    /// <summary>NVlabs Sana (the training form): <c>prompt.strip()</c> without lower-casing; the instruction quotes "Enhanced prompt" with double quotes.</summary>
    NvLabs,
}

/// <summary>Options of one prompt encoding; part of the prompt-embedding cache key.</summary>
public sealed record PromptEncodingOptions
{
    /// <summary>The default options: diffusers style, with the complex human instruction, 300 tokens.</summary>
    public static PromptEncodingOptions Default { get; } = new();

    /// <summary>Prepend the complex human instruction (CHI) to the prompt.</summary>
    /// <remarks>Defaults to <c>true</c>, as both references do for SANA-Sprint.</remarks>
    public bool UseComplexHumanInstruction { get; init; } = true;

    /// <summary>Lower-casing and instruction quote style.</summary>
    /// <remarks>Defaults to <see cref="PromptStyle.Diffusers"/>.</remarks>
    public PromptStyle Style { get; init; } = PromptStyle.Diffusers;

    /// <summary>Lower-case the prompt before tokenizing; <c>null</c> takes the <see cref="Style"/>'s choice (diffusers yes, NVlabs no).</summary>
    /// <remarks>Defaults to <c>null</c>. The instruction itself is never lower-cased.</remarks>
    public bool? LowerCase { get; init; }

    /// <summary>Whether these options lower-case the prompt.</summary>
    public bool LowerCasesPrompt => LowerCase ?? Style == PromptStyle.Diffusers;

    /// <summary>N, the number of prompt positions handed to the transformer (BOS + the last N−1).</summary>
    /// <remarks>Defaults to <c>300</c>, the checkpoint's <c>max_sequence_length</c>.</remarks>
    public int MaxSequenceLength { get; init; } = 300;
}

/// <summary>The complex human instruction (CHI) lines, in both quote styles (diffusers pipeline_sana_sprint.py, complex_human_instruction).</summary>
public static class ComplexHumanInstruction
{
    private static readonly string[] Lines =
    [
        "Given a user prompt, generate an {0}Enhanced prompt{0} that provides detailed visual descriptions suitable for image generation. Evaluate the level of detail in the user prompt:",
        "- If the prompt is simple, focus on adding specifics about colors, shapes, sizes, textures, and spatial relationships to create vivid and concrete scenes.",
        "- If the prompt is already detailed, refine and enhance the existing details slightly without overcomplicating.",
        "Here are examples of how to transform or refine prompts:",
        "- User Prompt: A cat sleeping -> Enhanced: A small, fluffy white cat curled up in a round shape, sleeping peacefully on a warm sunny windowsill, surrounded by pots of blooming red flowers.",
        "- User Prompt: A busy city street -> Enhanced: A bustling city street scene at dusk, featuring glowing street lamps, a diverse crowd of people in colorful clothing, and a double-decker bus passing by towering glass skyscrapers.",
        "Please generate only the enhanced description for the prompt below and avoid including any additional commentary or evaluations:",
        "User Prompt: ",
    ];

    /// <summary>The eight instruction lines of a style (the last one, <c>"User Prompt: "</c>, ends with a space).</summary>
    public static IReadOnlyList<string> For(PromptStyle style)
    {
        var quote = style == PromptStyle.NvLabs ? "\"" : "'";
        return [.. Lines.Select(l => string.Format(System.Globalization.CultureInfo.InvariantCulture, l, quote))];
    }

    /// <summary>The lines joined with <c>\n</c>; the prompt is appended directly after it.</summary>
    public static string Text(PromptStyle style) => string.Join("\n", For(style));
}

/// <summary>
/// Token ids of prompts prepared for Gemma: the padded window the encoder runs over, and which of its positions
/// are kept for the transformer.
/// </summary>
/// <param name="Tokens">[batch, L] ids and mask fed to the encoder (L = <c>max_length_all</c>).</param>
/// <param name="SelectIndex">Positions of the window kept, in order: 0 then L−N+1 … L−1 (N entries).</param>
public sealed record PromptTokens(TokenizedBatch Tokens, int[] SelectIndex)
{
    /// <summary>The selected ids of one row (N entries).</summary>
    public long[] SelectedIds(int row) => Select(Tokens.RowIds(row));

    /// <summary>The selected mask of one row (N entries).</summary>
    public long[] SelectedMask(int row) => Select(Tokens.RowMask(row));

    private long[] Select(ReadOnlySpan<long> row)
    {
        var result = new long[SelectIndex.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = row[SelectIndex[i]];
        }

        return result;
    }
}

/// <summary>
/// Prepares prompt text for Gemma as the reference pipeline does:
/// 1. preprocess (lower-case + strip, or strip only);
/// 2. prepend the complex human instruction, with <c>max_length_all = tokens(CHI incl. BOS) + N − 2</c>
///    (NVlabs: "magic number 2: [bos], [_]"), else <c>max_length_all = N</c>;
/// 3. tokenize with BOS, right padding and truncation to <c>max_length_all</c>;
/// 4. select BOS + the last N−1 positions.
/// </summary>
/// <remarks>Thread-safe; the instruction's token count is computed once per style.</remarks>
public sealed class GemmaPromptTokenizer(GemmaTokenizer tokenizer)
{
    private readonly ConcurrentDictionary<PromptStyle, int> _instructionTokens = new();

    /// <summary>The underlying tokenizer.</summary>
    public GemmaTokenizer Tokenizer { get; } = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));

    /// <summary>
    /// Step 1: the text preprocessing (diffusers <c>_text_preprocessing</c> with <c>clean_caption=False</c>: <c>lower().strip()</c>;
    /// NVlabs: <c>strip()</c>).
    /// </summary>
    /// <param name="prompt">The user's prompt.</param>
    /// <param name="lowerCase">Lower-case after stripping surrounding whitespace.</param>
    /// <remarks>Lower-casing is .NET's invariant per-character mapping; Python's full case mapping differs only for a few
    /// characters (final sigma, 'İ').</remarks>
    public static string Preprocess(string prompt, bool lowerCase)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var stripped = prompt.Trim(PythonWhitespace);
        return lowerCase ? stripped.ToLowerInvariant() : stripped;
    }

    /// <summary>
    /// Number of tokens the prompt itself takes: step 1's preprocessing for <paramref name="options"/>, then the tokenizer,
    /// without the complex human instruction and without BOS.
    /// </summary>
    /// <param name="prompt">The user's prompt, as typed.</param>
    /// <param name="options">Which preprocessing applies (lower-casing); the instruction and N do not change the count.</param>
    /// <returns><c>len(tokenizer.encode(preprocess(prompt), add_special_tokens=False))</c>.</returns>
    /// <remarks>With the instruction, diffusers' _get_gemma_prompt_embeds keeps every prompt token when this count is at most N − 2 (298).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="prompt"/> or <paramref name="options"/> is null.</exception>
    public int CountPromptTokens(string prompt, PromptEncodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Tokenizer.CountTokens(Preprocess(prompt, options.LowerCasesPrompt), addBos: false);
    }

    /// <summary>Number of tokens of the complex human instruction alone, BOS included (<c>len(tokenizer.encode(chi))</c>).</summary>
    public int InstructionTokenCount(PromptStyle style) =>
        _instructionTokens.GetOrAdd(style, s => Tokenizer.CountTokens(ComplexHumanInstruction.Text(s), addBos: true));

    /// <summary>The window length L the encoder runs over for these options.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><c>MaxSequenceLength</c> is below 1.</exception>
    public int WindowLength(PromptEncodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSequenceLength, 1, "options.MaxSequenceLength");
        return options.UseComplexHumanInstruction
            ? InstructionTokenCount(options.Style) + options.MaxSequenceLength - 2
            : options.MaxSequenceLength;
    }

    /// <summary>Steps 1–4 for a batch of prompts.</summary>
    /// <param name="prompts">The users' prompts, as typed.</param>
    /// <param name="options">Style, instruction and N.</param>
    /// <returns>The encoder window and the selection.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><c>MaxSequenceLength</c> is below 1.</exception>
    public PromptTokens Tokenize(IReadOnlyList<string> prompts, PromptEncodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);

        // 1. Preprocess
        var texts = prompts.Select((p, i) => Preprocess(p ?? throw new ArgumentException($"`prompts[{i}]` is null.", nameof(prompts)), options.LowerCasesPrompt));

        // 2. Complex human instruction
        int length = WindowLength(options);
        if (options.UseComplexHumanInstruction)
        {
            var instruction = ComplexHumanInstruction.Text(options.Style);
            texts = texts.Select(t => instruction + t);
        }

        // 3. Tokenize: BOS, right padding, truncation
        var tokens = Tokenizer.EncodeBatch([.. texts], length);

        // 4. Selection: [0] + [L−N+1 … L−1]
        return new PromptTokens(tokens, SelectIndex(length, options.MaxSequenceLength));
    }

    /// <summary>The selection <c>[0] + list(range(−(N−1), 0))</c> resolved against a window of length L.</summary>
    /// <param name="windowLength">L.</param>
    /// <param name="maxSequenceLength">N (≤ L).</param>
    public static int[] SelectIndex(int windowLength, int maxSequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowLength, maxSequenceLength);
        var index = new int[maxSequenceLength];
        for (int i = 1; i < maxSequenceLength; i++)
        {
            index[i] = windowLength - maxSequenceLength + i;
        }

        return index;
    }

    // Python's str.strip() removes str.isspace() characters, which include U+001C–U+001F beyond .NET's char.IsWhiteSpace.
    private static readonly char[] PythonWhitespace =
    [
        .. Enumerable.Range(0, 0x3001).Select(c => (char)c).Where(c => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f'),
    ];
}
