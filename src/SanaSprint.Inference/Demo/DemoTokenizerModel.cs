using System.Text;

namespace SanaSprint.Inference.Demo;

/// <summary>
/// Builds a small SentencePiece BPE <c>tokenizer.model</c> (a serialized <c>sentencepiece.ModelProto</c>) with Gemma's
/// settings: pad/eos/bos/unk = 0/1/2/3, the user-defined pieces <c>&lt;start_of_turn&gt;</c>, <c>&lt;end_of_turn&gt;</c> and
/// <c>\n</c>, byte fallback, no dummy prefix, whitespace escaped as ▁. The vocabulary is printable ASCII plus a few
/// frequent English merges, so any text tokenizes (other characters fall back to bytes).
/// </summary>
internal static class DemoTokenizerModel
{
    private const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Byte = 6;

    private static readonly string[] Merges =
    [
        "▁t", "th", "▁th", "he", "▁the", "in", "er", "an", "on", "re", "▁a", "▁o", "▁s", "▁w", "at", "en", "nd", "ed", "es", "or",
        "▁c", "▁p", "▁b", "▁f", "▁m", "▁i", "ing", "▁in", "▁and", "▁of", "▁to", "is", "it", "ar", "al", "st", "ou", "▁h", "le", "▁d",
    ];

    /// <summary>The model bytes.</summary>
    public static byte[] Build()
    {
        var pieces = new List<(string Piece, float Score, int Type)>
        {
            ("<pad>", 0, Control), ("<eos>", 0, Control), ("<bos>", 0, Control), ("<unk>", 0, Unknown),
            ("<start_of_turn>", 0, UserDefined), ("<end_of_turn>", 0, UserDefined), ("\n", 0, UserDefined),
        };
        for (int b = 0; b < 256; b++) pieces.Add(($"<0x{b:X2}>", 0, Byte));
        // Merged pieces score by frequency rank (higher merges first); single characters score lowest.
        for (int i = 0; i < Merges.Length; i++) pieces.Add((Merges[i], -i, Normal));
        pieces.Add(("▁", -Merges.Length, Normal));
        for (char c = '!'; c <= '~'; c++) pieces.Add((c.ToString(), -Merges.Length - 1 - (c - '!'), Normal));

        var model = new List<byte>();
        foreach (var (piece, score, type) in pieces)
        {
            var p = new List<byte>();
            Bytes(p, 1, Encoding.UTF8.GetBytes(piece));
            Float(p, 2, score);
            Varint(p, 3, (ulong)type);
            Bytes(model, 1, [.. p]);
        }

        var trainer = new List<byte>();
        Varint(trainer, 3, 2);                       // model_type = BPE
        Varint(trainer, 4, (ulong)pieces.Count);     // vocab_size
        Varint(trainer, 35, 1);                      // byte_fallback
        Varint(trainer, 40, 3);                      // unk_id
        Varint(trainer, 41, 2);                      // bos_id
        Varint(trainer, 42, 1);                      // eos_id
        Varint(trainer, 43, 0);                      // pad_id
        Bytes(model, 2, [.. trainer]);

        var normalizer = new List<byte>();
        Bytes(normalizer, 1, Encoding.UTF8.GetBytes("identity"));
        Varint(normalizer, 3, 0);                    // add_dummy_prefix = false
        Varint(normalizer, 4, 0);                    // remove_extra_whitespaces = false
        Varint(normalizer, 5, 1);                    // escape_whitespaces = true
        Bytes(model, 3, [.. normalizer]);
        return [.. model];
    }

    /// <summary>Number of pieces <see cref="Build"/> writes.</summary>
    public static int VocabularySize => 7 + 256 + Merges.Length + 1 + ('~' - '!' + 1);

    private static void Tag(List<byte> o, int field, int wire) => Raw(o, (ulong)((field << 3) | wire));

    private static void Raw(List<byte> o, ulong v)
    {
        do
        {
            byte b = (byte)(v & 0x7F);
            v >>= 7;
            if (v != 0) b |= 0x80;
            o.Add(b);
        }
        while (v != 0);
    }

    private static void Varint(List<byte> o, int field, ulong v) { Tag(o, field, 0); Raw(o, v); }

    private static void Bytes(List<byte> o, int field, byte[] v) { Tag(o, field, 2); Raw(o, (ulong)v.Length); o.AddRange(v); }

    private static void Float(List<byte> o, int field, float v) { Tag(o, field, 5); o.AddRange(BitConverter.GetBytes(v)); }
}
