using System.Text.Json;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Tests.Text;

public sealed class GemmaTokenizerTests
{
    private static readonly Lazy<GemmaTokenizer> SharedTokenizer = new(() => GemmaTokenizer.FromDirectory(TokenizerDirectory));
    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TokenizerDirectory, "expected.json"))).RootElement);

    private static string TokenizerDirectory => TestPaths.GoldenCase("text", "tokenizer");

    private static GemmaTokenizer Tokenizer => SharedTokenizer.Value;

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Expected.Value.GetProperty("cases").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    private static int PieceId(string piece) => Tokenizer.Pieces.Single(p => p.Piece == piece).Id;

    [Fact]
    public void SpecialIdsComeFromTheModel()
    {
        var ids = Expected.Value.GetProperty("special_ids");
        Assert.Equal(ids.GetProperty("bos").GetInt32(), Tokenizer.BosId);
        Assert.Equal(ids.GetProperty("eos").GetInt32(), Tokenizer.EosId);
        Assert.Equal(ids.GetProperty("pad").GetInt32(), Tokenizer.PadId);
        Assert.Equal(ids.GetProperty("unk").GetInt32(), Tokenizer.UnknownId);
        Assert.Equal(Expected.Value.GetProperty("vocab_size").GetInt32(), Tokenizer.VocabularySize);
    }

    [Fact]
    public void PieceTypesMatchTheVocabulary()
    {
        // expected.json labels '▁a' (score −0.0, no type field on the wire, i.e. NORMAL) "user_defined"; the trainer's
        // user_defined_symbols list is the authority for that type, the vocabulary listing for the others.
        var userDefined = Expected.Value.GetProperty("trainer_settings").GetProperty("user_defined_symbols")
            .EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal);
        Assert.Equal(userDefined, Tokenizer.Pieces.Where(p => p.Type == SentencePieceType.UserDefined).Select(p => p.Piece).Order(StringComparer.Ordinal));
        foreach (var entry in Expected.Value.GetProperty("vocab").EnumerateArray())
        {
            var piece = Tokenizer.Pieces[entry.GetProperty("id").GetInt32()];
            var type = entry.GetProperty("type").GetString()!;
            Assert.Equal(entry.GetProperty("piece").GetString(), piece.Piece);
            if (type != "user_defined")
            {
                Assert.Equal(type, piece.Type.ToString(), ignoreCase: true);
            }
        }
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void EncodesLikeSentencePieceWithAndWithoutBos(int index)
    {
        var c = Expected.Value.GetProperty("cases")[index];
        var text = c.GetProperty("text").GetString()!;
        Assert.Equal(Ints(c.GetProperty("ids")), Tokenizer.Encode(text, addBos: false, SpecialTokenMatching.SentencePiece));
        Assert.Equal(Ints(c.GetProperty("ids_with_bos")), Tokenizer.Encode(text, addBos: true, SpecialTokenMatching.SentencePiece));
        var pieceIds = c.GetProperty("pieces").EnumerateArray().Select(p => PieceId(p.GetString()!));
        Assert.Equal(pieceIds, Tokenizer.Encode(text, addBos: false, SpecialTokenMatching.SentencePiece));
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void EncodesLikeTransformersGemmaTokenizer(int index)
    {
        var c = Expected.Value.GetProperty("cases")[index];
        Assert.Equal(Ints(c.GetProperty("hf_encode")), Tokenizer.Encode(c.GetProperty("text").GetString()!));
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void DecodesBackToTheText(int index)
    {
        var c = Expected.Value.GetProperty("cases")[index];
        Assert.Equal(c.GetProperty("decoded").GetString(), Tokenizer.Decode(Ints(c.GetProperty("ids"))));
    }

    [Fact]
    public void PaddedTruncatedBatchesMatchTransformers()
    {
        var calls = Expected.Value.GetProperty("hf_tokenizer_calls");
        Assert.True(calls.GetArrayLength() > 0);
        foreach (var call in calls.EnumerateArray())
        {
            Assert.Equal("right", call.GetProperty("padding_side").GetString());
            var texts = call.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
            var batch = Tokenizer.EncodeBatch(texts, call.GetProperty("max_length").GetInt32());
            Assert.Equal(texts.Length, batch.BatchSize);
            var ids = call.GetProperty("input_ids").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt64()));
            var mask = call.GetProperty("attention_mask").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(ids, batch.InputIds);
            Assert.Equal(mask, batch.AttentionMask);
        }
    }

    [Fact]
    public void UserDefinedPiecesMatchLongestFirst()
    {
        int nl = PieceId("\n"), nlnl = PieceId("\n\n");
        Assert.Equal([nlnl], Tokenizer.Encode("\n\n", addBos: false));
        Assert.Equal([nlnl, nl], Tokenizer.Encode("\n\n\n", addBos: false));
        Assert.Equal([nlnl, nlnl], Tokenizer.Encode("\n\n\n\n", addBos: false));
    }

    [Fact]
    public void EmptyTextStillGetsBos()
    {
        Assert.Equal([Tokenizer.BosId], Tokenizer.Encode(""));
        var batch = Tokenizer.EncodeBatch([""], 3);
        Assert.Equal([Tokenizer.BosId, Tokenizer.PadId, Tokenizer.PadId], batch.InputIds);
        Assert.Equal([1L, 0, 0], batch.AttentionMask);
    }

    [Fact]
    public void TruncationKeepsBosAndTheFirstTokens()
    {
        const string text = "a photo of an astronaut riding a horse";
        var full = Tokenizer.Encode(text);
        Assert.True(full.Length > 5);
        var batch = Tokenizer.EncodeBatch([text], 5);
        Assert.Equal(full.Take(5).Select(i => (long)i), batch.InputIds);
        Assert.All(batch.AttentionMask, m => Assert.Equal(1L, m));
    }

    [Fact]
    public void BatchLengthBelowOneIsRejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.EncodeBatch(["a"], 0));
        Assert.Equal("maxLength", e.ParamName);
    }

    [Fact]
    public void DecodeCanSkipSpecialTokens()
    {
        var ids = Tokenizer.EncodeBatch(["a cat"], 6).InputIds.Select(i => (int)i).ToArray();
        Assert.Equal("a cat", Tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.StartsWith("<bos>a cat<pad>", Tokenizer.Decode(ids));
    }

    [Fact]
    public void ConcurrentEncodesGiveTheSequentialResults()
    {
        var texts = Expected.Value.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("text").GetString()!).ToArray();
        var sequential = texts.Select(t => Tokenizer.Encode(t)).ToArray();
        var parallel = new int[texts.Length * 8][];
        Parallel.For(0, parallel.Length, i => parallel[i] = Tokenizer.Encode(texts[i % texts.Length]));
        for (int i = 0; i < parallel.Length; i++)
        {
            Assert.Equal(sequential[i % texts.Length], parallel[i]);
        }
    }

    [Fact]
    public void AFolderWithoutTheModelIsReportedByName()
    {
        using var dir = new TempFolder("gemma-tok");
        var e = Assert.Throws<FileNotFoundException>(() => GemmaTokenizer.FromDirectory(dir.Path));
        Assert.Contains("tokenizer.model", e.Message);
        Assert.Contains(dir.Path, e.Message);
    }

    [Fact]
    public void AFileThatIsNotASentencePieceModelIsReportedByName()
    {
        var e = Assert.Throws<InvalidDataException>(() => GemmaTokenizer.Create("not a model at all"u8.ToArray(), "broken/tokenizer.model"));
        Assert.Contains("broken/tokenizer.model", e.Message);
    }
}
