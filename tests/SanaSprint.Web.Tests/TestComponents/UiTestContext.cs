using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.TestComponents;

/// <summary>A bunit context with MudBlazor, loose JS interop, and the app's UI services backed by test doubles.</summary>
public abstract class UiTestContext : BunitContext, IAsyncLifetime
{
    protected UiTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(o => o.PopoverOptions.CheckForPopoverProvider = false);
        Catalog = PresetCatalog.LoadDefault();
        Gallery = new InMemoryGalleryStore(Catalog, TimeProvider.System);
        Rooms = SessionRooms.InMemory(gallery: Gallery);
        Services.AddSingleton(Catalog);
        Services.AddSingleton<IGalleryStore>(Gallery);
        Services.AddSingleton<IRoomDirectory>(Rooms.Directory);
        Services.AddSingleton<IImageGenerator>(Generator);
        Services.AddSingleton<IModelInfo>(Generator);
        Services.AddSingleton<IRoomConnectionFactory>(Connections);
        // The browser's gallery identity, as Routes cascades it in the app.
        Services.AddCascadingValue(_ => new GalleryOwner(OwnerId));
        // Components render as they do in the running app: interactive (Blazor Server).
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    /// <summary>The owner id of the browser the pages render for.</summary>
    protected const string OwnerId = "BrowserOwnerIdForTests";

    /// <summary>Another browser's owner id.</summary>
    protected const string StrangerId = "AnotherBrowserOwnerId0";

    /// <summary>The built-in presets.</summary>
    protected PresetCatalog Catalog { get; }

    /// <summary>The gallery store the pages use.</summary>
    protected InMemoryGalleryStore Gallery { get; }

    /// <summary>Real rooms (no SignalR).</summary>
    protected SessionRooms Rooms { get; }

    /// <summary>The generator the pages describe (its <see cref="StubGenerator.Info"/> is settable).</summary>
    protected StubGenerator Generator { get; } = new();

    /// <summary>Records what the pages send through the browser connection.</summary>
    protected RecordingConnectionFactory Connections { get; } = new();

    /// <inheritdoc />
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    /// <summary>Renders the popover provider so MudSelect lists can open.</summary>
    protected IRenderedComponent<MudPopoverProvider> RenderPopoverProvider() => Render<MudPopoverProvider>();
}
