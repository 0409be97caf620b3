using MessagePack;
using MessagePack.Formatters;

namespace SanaSprint.Web.Hubs;

/// <summary>
/// Writes and reads a <see cref="StrokePoint"/> as <c>[x, y, pressure]</c> under the MessagePack protocol, strictly: an array of
/// exactly three numbers (integers or floats). The default formatter would accept <c>[x, y]</c> and make the pressure 0; this one
/// rejects it, so a malformed point fails the call (binding error) as it does under the JSON protocol.
/// </summary>
public sealed class StrokePointMessagePackFormatter : IMessagePackFormatter<StrokePoint>
{
    /// <inheritdoc />
    public void Serialize(ref MessagePackWriter writer, StrokePoint value, MessagePackSerializerOptions options)
    {
        writer.WriteArrayHeader(3);
        writer.Write(value.X);
        writer.Write(value.Y);
        writer.Write(value.Pressure);
    }

    /// <inheritdoc />
    public StrokePoint Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
            throw new MessagePackSerializationException($"a point must be an array [x, y, pressure] but is {reader.NextMessagePackType}.");
        var count = reader.ReadArrayHeader();
        if (count != 3) throw new MessagePackSerializationException($"a point must have exactly 3 numbers [x, y, pressure] but has {count}.");
        return new StrokePoint(ReadNumber(ref reader), ReadNumber(ref reader), ReadNumber(ref reader));
    }

    private static float ReadNumber(ref MessagePackReader reader) => reader.NextMessagePackType switch
    {
        MessagePackType.Integer or MessagePackType.Float => reader.ReadSingle(),
        var other => throw new MessagePackSerializationException($"a point coordinate must be a number but is {other}."),
    };
}
