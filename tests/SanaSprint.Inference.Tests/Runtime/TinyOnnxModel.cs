using System.Text;

namespace SanaSprint.Inference.Tests.Runtime;

/// <summary>Hand-encoded one-node ONNX models (protobuf wire format) for runtime tests that need a real session.</summary>
internal static class TinyOnnxModel
{
    /// <summary>z = x + y over float vectors of symbolic length N (opset 17).</summary>
    public static byte[] Add()
    {
        var node = Msg(Str(1, "x"), Str(1, "y"), Str(2, "z"), Str(3, "add"), Str(4, "Add"));
        var graph = Msg(Bytes(1, node), Str(2, "tiny"), Bytes(11, FloatVector("x")), Bytes(11, FloatVector("y")), Bytes(12, FloatVector("z")));
        var opset = Msg(Str(1, ""), Varint(2, 17));
        return Msg(Varint(1, 8), Bytes(7, graph), Bytes(8, opset));
    }

    private static byte[] FloatVector(string name)
    {
        var dim = Msg(Str(2, "N"));
        var shape = Msg(Bytes(1, dim));
        var tensor = Msg(Varint(1, 1), Bytes(2, shape));
        var type = Msg(Bytes(1, tensor));
        return Msg(Str(1, name), Bytes(2, type));
    }

    private static byte[] Msg(params byte[][] fields) => fields.SelectMany(f => f).ToArray();

    private static byte[] Str(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Bytes(int field, byte[] value) => [.. Tag(field, 2), .. VarintBytes((ulong)value.Length), .. value];

    private static byte[] Varint(int field, ulong value) => [.. Tag(field, 0), .. VarintBytes(value)];

    private static byte[] Tag(int field, int wire) => VarintBytes((ulong)((field << 3) | wire));

    private static byte[] VarintBytes(ulong v)
    {
        var b = new List<byte>();
        do
        {
            byte x = (byte)(v & 0x7F);
            v >>= 7;
            if (v != 0) x |= 0x80;
            b.Add(x);
        }
        while (v != 0);
        return [.. b];
    }
}
