using Microsoft.Extensions.Diagnostics.HealthChecks;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Extensions;

/// <summary>Cross-cutting host setup: the repository-root web root and configuration, health checks.</summary>
public static class ServiceDefaults
{
    /// <summary>The file that marks the repository root.</summary>
    public const string RepoRootMarker = "SanaSprint.sln";

    /// <summary>
    /// Host options that make the top-level <c>wwwroot/</c> the web root, whether the app starts from the repository root,
    /// from <c>src/SanaSprint.Web</c> or from a build output folder (the repository root is the nearest folder above the
    /// current directory or the app's base directory that holds <see cref="RepoRootMarker"/>).
    /// </summary>
    /// <param name="args">Command-line arguments.</param>
    /// <returns>Options for <see cref="WebApplication.CreateBuilder(WebApplicationOptions)"/>.</returns>
    public static WebApplicationOptions CreateOptions(string[] args) => new()
    {
        Args = args,
        WebRootPath = RepoRoot is { } root ? Path.Combine(root, "wwwroot") : null,
    };

    /// <summary>The repository root, or null when the app runs outside a checkout.</summary>
    public static string? RepoRoot => FindRepoRoot(Directory.GetCurrentDirectory()) ?? FindRepoRoot(AppContext.BaseDirectory);

    /// <summary>
    /// Adds the top-level <c>appsettings.json</c> (and <c>appsettings.{Environment}.json</c>) to the configuration, ahead of
    /// environment variables and the command line so those still override it; adds health checks.
    /// </summary>
    /// <param name="builder">The web application builder.</param>
    /// <returns>The same builder.</returns>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if ((FindRepoRoot(builder.Environment.ContentRootPath) ?? RepoRoot) is { } root)
        {
            var sources = builder.Configuration.Sources;
            var top = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(root, "appsettings.json"), optional: true, reloadOnChange: false)
                .AddJsonFile(Path.Combine(root, $"appsettings.{builder.Environment.EnvironmentName}.json"), optional: true, reloadOnChange: false);
            var index = IndexAfterLastJson(sources);
            foreach (var source in top.Sources.Reverse()) sources.Insert(index, source);
            // Inserting sources does not reload the built configuration; adding one does.
            builder.Configuration.AddInMemoryCollection();
        }
        // Package assets (_content/MudBlazor/…, _framework/…) come from the build's static web assets manifest; serve them
        // in every environment when running from build output (a no-op for published apps, whose assets are in wwwroot).
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddHealthChecks().AddCheck<ModelHealthCheck>("model");
        return builder;
    }

    /// <summary>Maps <c>/healthz</c> (healthy, or degraded while frames are unavailable).</summary>
    /// <param name="app">The app.</param>
    /// <returns>The same app.</returns>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz");
        return app;
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> that holds <see cref="RepoRootMarker"/>, or null.</summary>
    /// <param name="start">Where to start looking.</param>
    public static string? FindRepoRoot(string? start)
    {
        for (var dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, RepoRootMarker))) return dir.FullName;
        }
        return null;
    }

    private static int IndexAfterLastJson(IList<IConfigurationSource> sources)
    {
        var last = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource) last = i;
        }
        return last + 1;
    }

    /// <summary>Healthy when the model can produce frames; degraded (with the reason) when it cannot.</summary>
    private sealed class ModelHealthCheck(IModelInfo generator) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var info = generator.Info;
            return Task.FromResult(info.IsAvailable
                ? HealthCheckResult.Healthy($"{info.ModelName} on {info.Provider}{(info.IsDemo ? " (demo checkpoint)" : "")}")
                : HealthCheckResult.Degraded($"Frames unavailable: {info.UnavailableReason}"));
        }
    }
}
