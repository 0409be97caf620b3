using System.Buffers;
using Orleans.Serialization;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Serializers;
using Orleans.Serialization.WireProtocol;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// Lets Orleans carry the read-only lists the C# compiler makes for collection expressions (<c>IReadOnlyList&lt;T&gt; x = [.. items]</c>
/// builds a compiler-generated <c>&lt;&gt;z__ReadOnlyArray&lt;T&gt;</c> or <c>&lt;&gt;z__ReadOnlyList&lt;T&gt;</c>, which no codec
/// knows): such a list is written as a <c>T[]</c>, so the receiver reads an array, which is an <see cref="IReadOnlyList{T}"/>
/// too. The room records use collection expressions throughout.
/// </summary>
/// <param name="services">Resolves the codec provider on first use (it creates this codec, so it cannot be a constructor argument).</param>
public sealed class ReadOnlyCollectionCodec(IServiceProvider services) : IGeneralizedCodec, IGeneralizedCopier
{
    private ICodecProvider? _codecs;

    /// <inheritdoc />
    public bool IsSupportedType(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.Name.StartsWith("<>z__", StringComparison.Ordinal) && ElementType(type) is not null;
    }

    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, object? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        ArgumentNullException.ThrowIfNull(value);
        var element = ElementType(value.GetType())!;
        var items = ((System.Collections.IEnumerable)value).Cast<object?>().ToList();
        var array = Array.CreateInstance(element, items.Count);
        for (var i = 0; i < items.Count; i++) array.SetValue(items[i], i);
        _codecs ??= services.GetRequiredService<ICodecProvider>();
        _codecs.GetCodec(array.GetType()).WriteField(ref writer, fieldIdDelta, expectedType, array);
    }

    /// <inheritdoc />
    /// <remarks>Never called: what this codec writes is read back as an array.</remarks>
    public object ReadValue<TInput>(ref Reader<TInput> reader, Field field) =>
        throw new NotSupportedException("Compiler-generated read-only lists are written as arrays and read back as arrays.");

    /// <inheritdoc />
    /// <remarks>The lists are read-only: the copy may share them.</remarks>
    public object? DeepCopy(object? input, CopyContext context) => input;

    private static Type? ElementType(Type type) =>
        type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))?.GetGenericArguments()[0];
}
