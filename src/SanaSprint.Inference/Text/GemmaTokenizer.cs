using Microsoft.ML.Tokenizers;

namespace SanaSprint.Inference.Text;

/// <summary>
/// Gemma's SentencePiece tokenizer, read from a checkpoint's <c>tokenizer/tokenizer.model</c> with Microsoft.ML.Tokenizers'
/// <see cref="SentencePieceTokenizer"/>, plus what transformers' <c>GemmaTokenizer</c> adds on top: BOS, right padding to a
/// fixed length with the pad id, truncation and the attention mask.
/// </summary>
/// <remarks>
/// <para>Microsoft.ML.Tokenizers runs plain BPE over the text and would split Gemma's user-defined pieces
/// (<c>&lt;start_of_turn&gt;</c>, <c>\n\n</c>, …) into characters, whereas sentencepiece matches them whole. We read the piece
/// types from the model and hand them to the library as special tokens, longest first, so that <c>\n\n</c> wins over
/// <c>\n</c> as in sentencepiece's longest-match.</para>
/// <para>Two views of control pieces exist: sentencepiece never produces <c>&lt;bos&gt;</c>, <c>&lt;eos&gt;</c>,
/// <c>&lt;pad&gt;</c> or <c>&lt;unk&gt;</c> from text (a literal <c>&lt;bos&gt;</c> becomes byte pieces), while transformers'
/// <c>GemmaTokenizer</c> splits the text on them first (a literal <c>&lt;bos&gt;</c> becomes id 2).
/// <see cref="SpecialTokenMatching"/> picks one; the prompt path uses <see cref="SpecialTokenMatching.Transformers"/> as
/// the reference pipeline does.</para>
/// <para>Instances are immutable and thread-safe.</para>
/// </remarks>
public sealed class GemmaTokenizer
{
    /// <summary>The file name of the SentencePiece model inside a <c>tokenizer/</c> folder.</summary>
    public const string ModelFileName = "tokenizer.model";

    private readonly SentencePieceTokenizer _sentencePiece;   // user-defined pieces atomic
    private readonly SentencePieceTokenizer _transformers;    // user-defined + control + unknown pieces atomic
    private readonly IReadOnlyList<SentencePieceEntry> _pieces;

    private GemmaTokenizer(IReadOnlyList<SentencePieceEntry> pieces, byte[] model, int padId)
    {
        _pieces = pieces;
        var userDefined = SpecialPieces(pieces, SentencePieceType.UserDefined);
        var transformers = SpecialPieces(pieces, SentencePieceType.UserDefined, SentencePieceType.Control, SentencePieceType.Unknown);
        _sentencePiece = SentencePieceTokenizer.Create(new MemoryStream(model, writable: false), addBeginningOfSentence: false, addEndOfSentence: false, userDefined);
        _transformers = SentencePieceTokenizer.Create(new MemoryStream(model, writable: false), addBeginningOfSentence: false, addEndOfSentence: false, transformers);
        BosId = _transformers.BeginningOfSentenceId;
        EosId = _transformers.EndOfSentenceId;
        UnknownId = _transformers.UnknownId;
        PadId = padId;
    }

    /// <summary>Id of <c>&lt;bos&gt;</c> (2 for Gemma), prepended by <see cref="Encode"/> when asked.</summary>
    public int BosId { get; }

    /// <summary>Id of <c>&lt;eos&gt;</c> (1 for Gemma).</summary>
    public int EosId { get; }

    /// <summary>Id of <c>&lt;unk&gt;</c> (3 for Gemma).</summary>
    public int UnknownId { get; }

    /// <summary>Id of <c>&lt;pad&gt;</c> (0 for Gemma), used for right padding.</summary>
    public int PadId { get; }

    /// <summary>Number of pieces in the vocabulary (256000 for Gemma-2).</summary>
    public int VocabularySize => _pieces.Count;

    /// <summary>Every piece of the vocabulary, in id order, with its type.</summary>
    public IReadOnlyList<SentencePieceEntry> Pieces => _pieces;

    /// <summary>Loads <c>tokenizer.model</c> from a checkpoint's <c>tokenizer/</c> folder.</summary>
    /// <param name="tokenizerDirectory">The folder holding <c>tokenizer.model</c>.</param>
    /// <exception cref="FileNotFoundException">The folder has no <c>tokenizer.model</c>.</exception>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece model.</exception>
    public static GemmaTokenizer FromDirectory(string tokenizerDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerDirectory);
        var path = Path.Combine(tokenizerDirectory, ModelFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Tokenizer folder '{tokenizerDirectory}' has no '{ModelFileName}' (the SentencePiece model; 'tokenizer.json' alone is not supported).",
                path);
        }

        return FromFile(path);
    }

    /// <summary>Loads a SentencePiece model file.</summary>
    /// <param name="modelPath">Path to <c>tokenizer.model</c>. The file should come from a trusted source.</param>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece model.</exception>
    public static GemmaTokenizer FromFile(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return Create(File.ReadAllBytes(modelPath), modelPath);
    }

    /// <summary>Creates the tokenizer from serialized SentencePiece model bytes.</summary>
    /// <param name="model">The <c>tokenizer.model</c> contents.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <exception cref="InvalidDataException">The bytes are not a SentencePiece model.</exception>
    public static GemmaTokenizer Create(byte[] model, string sourceName = ModelFileName)
    {
        ArgumentNullException.ThrowIfNull(model);
        var pieces = SentencePieceModelReader.ReadPieces(model, sourceName);
        var pad = pieces.FirstOrDefault(p => p.Type == SentencePieceType.Control && p.Piece == "<pad>")
            ?? throw new InvalidDataException($"{sourceName}: the model has no '<pad>' control piece, which right padding needs.");
        try
        {
            return new GemmaTokenizer(pieces, model, pad.Id);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{sourceName}: Microsoft.ML.Tokenizers could not load the SentencePiece model ({e.Message}).", e);
        }
    }

    /// <summary>Encodes one text without padding or truncation.</summary>
    /// <param name="text">The text; used as is (no normalization beyond the model's own, which is identity for Gemma).</param>
    /// <param name="addBos">Prepend <see cref="BosId"/>, as transformers does with <c>add_special_tokens=True</c>.</param>
    /// <param name="matching">How control pieces written literally in the text are treated.</param>
    /// <returns>The token ids.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public int[] Encode(string text, bool addBos = true, SpecialTokenMatching matching = SpecialTokenMatching.Transformers)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokenizer = matching == SpecialTokenMatching.Transformers ? _transformers : _sentencePiece;
        // BOS by hand: the library returns no tokens at all for an empty string, even when asked for BOS.
        var ids = tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        if (!addBos)
        {
            return [.. ids];
        }

        var result = new int[ids.Count + 1];
        result[0] = BosId;
        for (int i = 0; i < ids.Count; i++)
        {
            result[i + 1] = ids[i];
        }

        return result;
    }

    /// <summary>Number of tokens <see cref="Encode"/> would return.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addBos">Count the BOS token.</param>
    public int CountTokens(string text, bool addBos = true) => Encode(text, addBos).Length;

    /// <summary>
    /// Encodes a batch as transformers' <c>tokenizer(texts, padding="max_length", max_length=L, truncation=True,
    /// add_special_tokens=True)</c> with <c>padding_side="right"</c>: BOS + the first L−1 ids, then <see cref="PadId"/>;
    /// mask 1 on tokens and 0 on padding.
    /// </summary>
    /// <param name="texts">The texts.</param>
    /// <param name="maxLength">The fixed length L of every row (≥ 1).</param>
    /// <param name="addBos">Prepend BOS to every row.</param>
    /// <returns>Row-major [batch, L] ids and mask, as int64 for ONNX.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is below 1.</exception>
    public TokenizedBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength, bool addBos = true)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var ids = new long[texts.Count * maxLength];
        var mask = new long[texts.Count * maxLength];
        for (int b = 0; b < texts.Count; b++)
        {
            var row = Encode(texts[b] ?? throw new ArgumentException($"`texts[{b}]` is null.", nameof(texts)), addBos);
            int kept = Math.Min(row.Length, maxLength); // truncation keeps the left part, BOS included
            var rowIds = ids.AsSpan(b * maxLength, maxLength);
            var rowMask = mask.AsSpan(b * maxLength, maxLength);
            rowIds.Fill(PadId);
            for (int i = 0; i < kept; i++)
            {
                rowIds[i] = row[i];
                rowMask[i] = 1;
            }
        }

        return new TokenizedBatch(ids, mask, texts.Count, maxLength);
    }

    /// <summary>Decodes ids back to text.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Drop control and user-defined pieces (<c>&lt;bos&gt;</c>, <c>&lt;pad&gt;</c>, but also <c>\n</c>) instead of writing them.</param>
    /// <returns>The text.</returns>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return _transformers.Decode(ids, considerSpecialTokens: !skipSpecialTokens);
    }

    /// <summary>The piece text of one id (e.g. <c>▁cat</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public string IdToPiece(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _pieces.Count);
        return _pieces[id].Piece;
    }

    // Insertion order matters: the library matches special tokens with a regex alternation in dictionary order,
    // so longer pieces go first to make the match longest-first ("\n\n" before "\n").
    private static Dictionary<string, int> SpecialPieces(IReadOnlyList<SentencePieceEntry> pieces, params SentencePieceType[] types)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in pieces
                     .Where(p => types.Contains(p.Type) && p.Piece.Length > 0)
                     .OrderByDescending(p => p.Piece.Length)
                     .ThenBy(p => p.Piece, StringComparer.Ordinal))
        {
            result.TryAdd(p.Piece, p.Id);
        }

        return result;
    }
}

/// <summary>How control pieces (<c>&lt;bos&gt;</c>, <c>&lt;eos&gt;</c>, <c>&lt;pad&gt;</c>, <c>&lt;unk&gt;</c>) written literally in a text are tokenized.</summary>
public enum SpecialTokenMatching
{
    /// <summary>As transformers' <c>GemmaTokenizer</c>: the text is split on them first, so a literal <c>&lt;bos&gt;</c> becomes id 2. The prompt path uses this.</summary>
    Transformers,

    /// <summary>As the sentencepiece library: only user-defined pieces are atomic; a literal <c>&lt;bos&gt;</c> is spelled out in byte/character pieces.</summary>
    SentencePiece,
}

/// <summary>A padded batch of token ids and its attention mask, row-major [<see cref="BatchSize"/>, <see cref="SequenceLength"/>].</summary>
/// <param name="InputIds">Token ids, padded on the right with the pad id.</param>
/// <param name="AttentionMask">1 for tokens, 0 for padding.</param>
/// <param name="BatchSize">Number of rows.</param>
/// <param name="SequenceLength">Length of every row.</param>
public sealed record TokenizedBatch(long[] InputIds, long[] AttentionMask, int BatchSize, int SequenceLength)
{
    /// <summary>The ids of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<long> RowIds(int row) => InputIds.AsSpan(row * SequenceLength, SequenceLength);

    /// <summary>The mask of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<long> RowMask(int row) => AttentionMask.AsSpan(row * SequenceLength, SequenceLength);
}
