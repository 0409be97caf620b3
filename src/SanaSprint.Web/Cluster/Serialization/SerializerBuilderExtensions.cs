using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Serializers;

namespace SanaSprint.Web.Cluster;

/// <summary>Adds the codecs the room records need on top of Orleans' own.</summary>
public static class SerializerBuilderExtensions
{
    /// <summary>Adds <see cref="ReadOnlyCollectionCodec"/>.</summary>
    /// <param name="builder">The serializer builder.</param>
    /// <returns>The same builder.</returns>
    public static ISerializerBuilder AddReadOnlyCollections(this ISerializerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<ReadOnlyCollectionCodec>();
        builder.Services.AddSingleton<IGeneralizedCodec>(sp => sp.GetRequiredService<ReadOnlyCollectionCodec>());
        builder.Services.AddSingleton<IGeneralizedCopier>(sp => sp.GetRequiredService<ReadOnlyCollectionCodec>());
        return builder;
    }
}
