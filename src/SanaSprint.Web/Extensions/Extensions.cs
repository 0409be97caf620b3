using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Components;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Scheduling;

namespace SanaSprint.Web.Extensions;

/// <summary>The web app's services and endpoints.</summary>
public static class Extensions
{
    /// <summary>
    /// Rooms, the sketch hub (MessagePack and JSON) with its connections' outboxes, the frame scheduler, with
    /// <see cref="RoomOptions"/>, <see cref="SchedulerOptions"/> and <see cref="OutboxOptions"/> bound from their sections and
    /// validated at start; Blazor Server and MudBlazor.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<RoomOptions>().BindConfiguration(nameof(RoomOptions)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SchedulerOptions>().BindConfiguration(nameof(SchedulerOptions)).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRoomStore, InMemoryRoomStore>();
        services.AddSingleton(sp => new RoomEditor(sp.GetRequiredService<IOptions<RoomOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IModelInfo>(), sp.GetService<IGalleryStore>()));
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ConnectionOutboxes>();
        services.AddSingleton<IRoomEventSink, SketchHubEvents>();
        services.AddSingleton<LocalRoomDirectory>();
        services.TryAddSingleton<IRoomDirectory>(sp => sp.GetRequiredService<LocalRoomDirectory>());
        services.AddSingleton<IRenderSource>(sp => sp.GetRequiredService<LocalRoomDirectory>());
        services.AddHostedService<EmptyRoomSweeper>();
        services.AddRoomCreation();
        services.AddSingleton<IValidateOptions<SchedulerOptions>, FrameSizeValidation>();
        // The frames the model warms up at load. Bound from the configuration itself: the validated SchedulerOptions depend on
        // the model (FrameSizeValidation), which takes these when it is created.
        services.TryAddSingleton(sp => ServedFramesOf(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<SketchRasterizer>();
        services.AddSingleton<FrameEncoder>();
        services.AddSingleton(sp => new DirtyQueue(sp.GetRequiredService<IOptions<SchedulerOptions>>().Value.RefineDelay, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<FrameDelivery>();
        services.AddSingleton<RunCoordinator>();
        services.AddSingleton<FrameScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<FrameScheduler>());
        // Only when no inference engine was registered: a generator that says so instead of inventing frames.
        services.TryAddSingleton<IImageGenerator, NoImageGenerator>();
        services.TryAddSingleton<IModelInfo>(sp => sp.GetRequiredService<IImageGenerator>());

        services.AddSignalR(o => o.MaximumReceiveMessageSize = 256 * 1024)
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .AddMessagePackProtocol();

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddSketchUi();
        return builder;
    }

    /// <summary>The frames the scheduler serves under <paramref name="configuration"/> (see <see cref="SchedulerOptions.ServedFrames"/>).</summary>
    /// <param name="configuration">The app's configuration.</param>
    /// <returns>The served frames.</returns>
    public static ServedFrames ServedFramesOf(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var scheduler = configuration.GetSection(nameof(SchedulerOptions)).Get<SchedulerOptions>() ?? new SchedulerOptions();
        var rooms = configuration.GetSection(nameof(RoomOptions)).Get<RoomOptions>() ?? new RoomOptions();
        return scheduler.ServedFrames(rooms.DefaultSteps);
    }

    /// <summary>
    /// Maps the sketch hub at <see cref="SketchHub.Path"/> (WebSockets, with SSE and long polling as fallbacks), with
    /// <see cref="OutboxOptions.SendTimeout"/> as its transport send timeout.
    /// </summary>
    /// <param name="endpoints">The endpoint builder.</param>
    /// <returns>The hub's endpoint convention builder.</returns>
    public static HubEndpointConventionBuilder MapSketchHub(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var outbox = endpoints.ServiceProvider.GetRequiredService<IOptions<OutboxOptions>>().Value;
        return endpoints.MapHub<SketchHub>(SketchHub.Path, o =>
        {
            o.Transports = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;
            o.TransportSendTimeout = outbox.SendTimeout;
        });
    }

    /// <summary>The frame size must suit the model: a multiple of its VAE scale factor (<see cref="RoomRules.CheckFrameSize"/>).</summary>
    private sealed class FrameSizeValidation(IModelInfo model) : IValidateOptions<SchedulerOptions>
    {
        public ValidateOptionsResult Validate(string? name, SchedulerOptions options)
        {
            var problems = RoomRules.CheckFrameSize(options.Width, options.Height, model.Info.VaeScaleFactor);
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems.Select(p => p.Message));
        }
    }

    /// <summary>The generator used when no inference engine is registered: never produces frames and says why.</summary>
    private sealed class NoImageGenerator : IImageGenerator
    {
        public GeneratorInfo Info { get; } = new()
        {
            ModelName = "(none)",
            IsAvailable = false,
            UnavailableReason = "No inference engine is registered (AddSanaSprintInference was not called).",
        };

        public Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default) =>
            throw new GeneratorUnavailableException(Info.UnavailableReason!);
    }
}
