using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Security;

namespace SanaSprint.Web.Observability;

/// <summary>Metrics (OpenTelemetry → Prometheus at <c>/metrics</c>), hub limits and the hub filter.</summary>
public static class ObservabilityExtensions
{
    /// <summary>The path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Binds <see cref="HubLimitOptions"/> from <c>HubLimits</c> (validated at start) and applies them to the sketch hub only (message size,
    /// <see cref="HubLimitFilter"/>; Blazor's circuit hub keeps its own limits); registers <see cref="SanaSprintMetrics"/> and OpenTelemetry metrics (this app's meter,
    /// ASP.NET Core and Kestrel) with the Prometheus exporter.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddSanaSprintObservability(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        // SignalR's dispatcher logs every exception a hub method ends with at Error, stack included — for the sketch hub
        // that is every refused call (a HubException carrying the reason). Refusals are logged by RefusalLog (one escaped
        // Information line, budgeted per connection) and unexpected failures by HubLimitFilter (Error, with the stack), so
        // the dispatcher's copy only repeats them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.Critical);
        services.AddOptions<HubLimitOptions>().BindConfiguration(HubLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<HubLimitFilter>();
        // AddHubOptions marks the sketch hub's options as its own, so SignalR uses them instead of the global ones.
        services.AddSignalR().AddHubOptions<SketchHub>(_ => { });
        services.AddOptions<HubOptions<SketchHub>>().PostConfigure<IOptions<HubLimitOptions>>((hub, limits) =>
        {
            hub.MaximumReceiveMessageSize = limits.Value.MaximumReceiveMessageSize;
            hub.AddFilter<HubLimitFilter>();
        });
        services.AddSingleton<SanaSprintMetrics>();
        services.AddOptions<MetricsAccessOptions>().BindConfiguration(MetricsAccessOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("sanasprint-web"))
            .WithMetrics(metrics => metrics
            .AddMeter(SanaSprintMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddMeter("Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections")
            .AddPrometheusExporter());
        return builder;
    }

    /// <summary>
    /// Maps <see cref="MetricsPath"/> (Prometheus text format) for the clients <see cref="MetricsAccessOptions"/> allows
    /// (others get 404, as if there were no such page), and creates the app's observable instruments.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <returns>The same app.</returns>
    public static WebApplication MapSanaSprintMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        _ = app.Services.GetRequiredService<SanaSprintMetrics>();
        var access = app.Services.GetRequiredService<IOptions<MetricsAccessOptions>>().Value;
        // The exporter's endpoint is a plain request delegate (endpoint filters do not run for it): the check runs as
        // middleware, after routing and before the endpoint.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(MetricsPath), branch => branch.Use((context, next) =>
        {
            if (access.Allows(context.Connection.RemoteIpAddress)) return next(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }));
        var endpoint = app.MapPrometheusScrapingEndpoint(MetricsPath);
        if (access.Port is int port) endpoint.RequireHost($"*:{port}");
        return app;
    }
}
