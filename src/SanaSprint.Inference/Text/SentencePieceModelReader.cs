using Google.Protobuf;

namespace SanaSprint.Inference.Text;

/// <summary>The kind of one SentencePiece vocabulary entry (<c>ModelProto.SentencePiece.Type</c>).</summary>
public enum SentencePieceType
{
    /// <summary>An ordinary piece produced by the BPE/unigram model.</summary>
    Normal = 1,

    /// <summary>The unknown piece (<c>&lt;unk&gt;</c>).</summary>
    Unknown = 2,

    /// <summary>A control piece (<c>&lt;pad&gt;</c>, <c>&lt;bos&gt;</c>, <c>&lt;eos&gt;</c>); never produced from text by sentencepiece itself.</summary>
    Control = 3,

    /// <summary>A user-defined piece, always matched as a whole in the input (<c>&lt;start_of_turn&gt;</c>, <c>\n</c>, …).</summary>
    UserDefined = 4,

    /// <summary>An unused placeholder.</summary>
    Unused = 5,

    /// <summary>A byte-fallback piece (<c>&lt;0x41&gt;</c>).</summary>
    Byte = 6,
}

/// <summary>One vocabulary entry of a SentencePiece model.</summary>
/// <param name="Id">Index in the vocabulary, i.e. the token id.</param>
/// <param name="Piece">The piece text, whitespace escaped as <c>▁</c>.</param>
/// <param name="Score">The piece score (merge priority for BPE).</param>
/// <param name="Type">The piece kind.</param>
public sealed record SentencePieceEntry(int Id, string Piece, float Score, SentencePieceType Type);

/// <summary>
/// Reads the vocabulary of a SentencePiece <c>tokenizer.model</c> (a serialized <c>sentencepiece.ModelProto</c>).
/// Only field 1 (<c>repeated SentencePiece pieces</c> with <c>piece</c>=1, <c>score</c>=2, <c>type</c>=3) is read; every
/// other field is skipped. Microsoft.ML.Tokenizers parses the full proto itself but does not expose piece types, which
/// we need to keep user-defined and control pieces atomic.
/// </summary>
internal static class SentencePieceModelReader
{
    /// <summary>Reads all pieces in id order.</summary>
    /// <param name="model">The serialized model bytes (untrusted: malformed input raises <see cref="InvalidDataException"/>).</param>
    /// <param name="sourceName">File name used in error messages.</param>
    public static IReadOnlyList<SentencePieceEntry> ReadPieces(ReadOnlySpan<byte> model, string sourceName)
    {
        var pieces = new List<SentencePieceEntry>();
        try
        {
            var input = new CodedInputStream(model.ToArray());
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 1 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    pieces.Add(ReadPiece(input.ReadBytes(), pieces.Count));
                }
                else
                {
                    input.SkipLastField();
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{sourceName}: not a valid SentencePiece model ({e.Message}).", e);
        }

        if (pieces.Count == 0)
        {
            throw new InvalidDataException($"{sourceName}: the SentencePiece model has no pieces.");
        }

        return pieces;
    }

    private static SentencePieceEntry ReadPiece(ByteString bytes, int id)
    {
        var input = bytes.CreateCodedInput();
        string piece = "";
        float score = 0;
        var type = SentencePieceType.Normal; // proto default
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: piece = input.ReadString(); break;
                case 2: score = input.ReadFloat(); break;
                case 3: type = (SentencePieceType)input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }

        return new SentencePieceEntry(id, piece, score, type);
    }
}
