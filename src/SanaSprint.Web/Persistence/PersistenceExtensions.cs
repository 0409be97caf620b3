using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Extensions;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Persistence;

/// <summary>Registers the SQLite stores (or leaves the in-memory ones) and the database health check.</summary>
public static class PersistenceExtensions
{
    /// <summary>
    /// Binds <see cref="PersistenceOptions"/> from <c>Persistence</c> (validated at start). When enabled, registers
    /// <see cref="SanaSprintDatabase"/>, <see cref="SqliteRoomStore"/> as the <see cref="IRoomStore"/> (and as a hosted
    /// service: its write-behind loop, and the final flush at shutdown), <see cref="SqliteGalleryStore"/> as the
    /// <see cref="IGalleryStore"/>, the <c>database</c> health check, and the Data Protection key ring in
    /// <c>keys/</c> of the data folder. Call before <c>AddApplicationServices</c>, whose
    /// in-memory stores are fallbacks.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    public static IHostApplicationBuilder AddSanaSprintPersistence(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<PersistenceOptions>().BindConfiguration(PersistenceOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // Enabled is read when the stores are first resolved, so configuration added after this call still counts.
        services.AddSingleton<SanaSprintDatabase>();
        services.AddSingleton<SqliteRoomStore>();
        services.AddSingleton<IRoomStore>(sp => IsEnabled(sp) ? sp.GetRequiredService<SqliteRoomStore>() : new InMemoryRoomStore());
        services.AddHostedService<RoomStoreWriter>();
        services.AddSingleton<IGalleryStore>(sp => IsEnabled(sp)
            ? ActivatorUtilities.CreateInstance<SqliteGalleryStore>(sp)
            : ActivatorUtilities.CreateInstance<InMemoryGalleryStore>(sp));
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        // The Data Protection key ring (it protects each browser's gallery owner cookie) lives beside the database, so
        // owners stay owners across restarts and container rebuilds that keep the data folder.
        services.AddDataProtection();
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<PersistenceOptions>, ILoggerFactory>((keys, persistence, loggers) =>
        {
            if (!persistence.Value.Enabled) return;
            var folder = Path.Combine(Path.GetDirectoryName(persistence.Value.ResolveDatabasePath(ServiceDefaults.RepoRoot ?? Directory.GetCurrentDirectory()))!, "keys");
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(folder), loggers);
        });
        return builder;
    }

    private static bool IsEnabled(IServiceProvider services) => services.GetRequiredService<IOptions<PersistenceOptions>>().Value.Enabled;

    /// <summary>Runs the SQLite room store's write-behind loop and its final flush at shutdown (nothing when persistence is off).</summary>
    private sealed class RoomStoreWriter(IServiceProvider services) : IHostedService
    {
        private SqliteRoomStore? _store;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (!IsEnabled(services)) return Task.CompletedTask;
            _store = services.GetRequiredService<SqliteRoomStore>();
            return _store.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => _store?.StopAsync(cancellationToken) ?? Task.CompletedTask;
    }

    /// <summary>Healthy when the database answers and the last write succeeded; unhealthy otherwise, with the reason.</summary>
    private sealed class DatabaseHealthCheck(IServiceProvider services) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!IsEnabled(services)) return HealthCheckResult.Healthy("Persistence is off (`Persistence:Enabled` = false): rooms live in memory.");
            SanaSprintDatabase database;
            SqliteRoomStore store;
            try
            {
                database = services.GetRequiredService<SanaSprintDatabase>();
                store = services.GetRequiredService<SqliteRoomStore>();
            }
            catch (InvalidOperationException ex)
            {
                return HealthCheckResult.Unhealthy(ex.Message, ex);
            }
            try
            {
                if (!await store.CanConnectAsync(cancellationToken))
                    return HealthCheckResult.Unhealthy($"The database '{database.Path}' is not reachable.");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"The database '{database.Path}' is not reachable: {ex.Message}", ex);
            }
            return store.LastFailure is { } failure
                ? HealthCheckResult.Unhealthy(failure)
                : HealthCheckResult.Healthy($"{database.Path} ({database.JournalMode}), {store.PendingRooms} rooms waiting to be written");
        }
    }
}
