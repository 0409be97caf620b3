using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Extensions;

namespace SanaSprint.Web.Persistence;

/// <summary>
/// The SQLite database file under <see cref="PersistenceOptions.DataDirectory"/>: created with its schema on first use,
/// switched to WAL journaling, and a factory of <see cref="SanaSprintDbContext"/>s over it.
/// </summary>
public sealed partial class SanaSprintDatabase
{
    private readonly DbContextOptions<SanaSprintDbContext> _contextOptions;

    /// <summary>Opens (creating when missing) the database the options name.</summary>
    /// <param name="options">Where the data folder is.</param>
    /// <param name="logger">Logger.</param>
    /// <exception cref="InvalidOperationException">The folder cannot be created or the file is not a usable SQLite database.</exception>
    public SanaSprintDatabase(IOptions<PersistenceOptions> options, ILogger<SanaSprintDatabase> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var baseDirectory = ServiceDefaults.RepoRoot ?? Directory.GetCurrentDirectory();
        Path = options.Value.ResolveDatabasePath(baseDirectory);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            ConnectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true, DefaultTimeout = 10 }.ToString();
            _contextOptions = new DbContextOptionsBuilder<SanaSprintDbContext>().UseSqlite(ConnectionString).Options;
            using var context = CreateContext();
            context.Database.EnsureCreated();
            AddMissingTables(context);
            // WAL is a property of the file: set once, it holds for every later connection.
            using var connection = new SqliteConnection(ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            JournalMode = Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"The database '{Path}' cannot be opened ({ex.Message}). Fix or move the file, or set `Persistence:DataDirectory` to another folder.", ex);
        }
        Log.Opened(logger, Path, JournalMode);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The SQLite connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>The journal mode in force ("wal").</summary>
    public string JournalMode { get; }

    /// <summary>A new context (the caller disposes it).</summary>
    public SanaSprintDbContext CreateContext() => new(_contextOptions);

    /// <summary>
    /// Upgrades a database made by an earlier version: <c>EnsureCreated</c> leaves an existing file alone, so tables and
    /// indexes added to the model since (e.g. <c>room_frames</c>) are created here from the model's own script, each
    /// <c>IF NOT EXISTS</c>. Existing tables are never altered.
    /// </summary>
    private static void AddMissingTables(SanaSprintDbContext context)
    {
        string[] creates = ["CREATE TABLE ", "CREATE INDEX ", "CREATE UNIQUE INDEX "];
        foreach (var statement in context.Database.GenerateCreateScript().Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (creates.FirstOrDefault(c => statement.StartsWith(c, StringComparison.Ordinal)) is not { } create) continue;
            // The text is EF Core's own DDL for our model; nothing in it comes from outside.
            var sql = create + "IF NOT EXISTS " + statement[create.Length..];
            context.Database.ExecuteSqlRaw(sql);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Database '{DatabasePath}' open (journal mode {JournalMode})", EventName = "DatabaseOpened")]
        public static partial void Opened(ILogger logger, string databasePath, string journalMode);
    }
}
