using Microsoft.Extensions.DependencyInjection.Extensions;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Presets;

namespace SanaSprint.Web.Components;

/// <summary>Services the pages need beyond rooms and the hub.</summary>
public static class ComponentServices
{
    /// <summary>
    /// Registers the preset catalog (<c>presets.json</c>), the gallery store (in memory unless another
    /// <see cref="IGalleryStore"/> was registered first), the browser room connection factory and the gallery owner cookie.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same collection.</returns>
    public static IServiceCollection AddSketchUi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => PresetCatalog.LoadDefault());
        services.TryAddSingleton<IGalleryStore, InMemoryGalleryStore>();
        services.TryAddScoped<IRoomConnectionFactory, JsRoomConnectionFactory>();
        services.TryAddSingleton<Security.OwnerCookie>();
        return services;
    }
}
