using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Extensions;

namespace SanaSprint.Web.Persistence;

/// <summary>
/// The SQLite database file under <see cref="PersistenceOptions.DataDirectory"/>: created or brought up to date by the
/// EF Core migrations in <c>Persistence/Migrations</c> on first use, switched to WAL journaling, and a factory of
/// <see cref="SanaSprintDbContext"/>s over it.
/// </summary>
/// <remarks>
/// A file made before the app used migrations has tables but no migrations history; it is recorded as being at the
/// migrations its tables show (baselined) before the later ones run, so it opens with its data. A schema change is a new
/// migration: <c>dotnet ef migrations add Name -p src/SanaSprint.Web -o Persistence/Migrations</c>.
/// </remarks>
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
            BaselineIfCreatedWithoutMigrations(context);
            context.Database.Migrate();
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
    /// The migrations a database created without them may already have, in order, each with the table it creates (and
    /// the column, for a migration that adds one to an existing table).
    /// </summary>
    private static readonly (string Migration, string Table, string? Column)[] Baseline =
    [
        ("20261207211424_InitialCreate", "rooms", null),
        ("20261207211425_AddRoomFrames", "room_frames", null),
        ("20261207232154_AddRoomAccess", "rooms", "AccessJson"),
        ("20261207233108_AddGalleryOwners", "room_members", null),
    ];

    /// <summary>
    /// A database created without migrations (its tables exist, the history table does not) gets the history table with
    /// the migrations its schema shows it already has recorded: those of <see cref="Baseline"/> whose table (and column)
    /// exists. <c>Migrate()</c> then applies only the others.
    /// </summary>
    /// <returns>The migrations recorded (none when the database has migrations history or no tables).</returns>
    internal static IReadOnlyList<string> BaselineIfCreatedWithoutMigrations(SanaSprintDbContext context)
    {
        var connection = context.Database.GetDbConnection();
        context.Database.OpenConnection();
        try
        {
            if (TableExists(connection, HistoryTable)) return [];
            var present = Baseline.Where(b => TableExists(connection, b.Table) && (b.Column is null || ColumnExists(connection, b.Table, b.Column)))
                .Select(b => b.Migration).ToList();
            if (present.Count == 0) return [];
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            // The standard EF Core history table, as Migrate() would create it.
            command.CommandText = $"""CREATE TABLE "{HistoryTable}" ("MigrationId" TEXT NOT NULL CONSTRAINT "PK_{HistoryTable}" PRIMARY KEY, "ProductVersion" TEXT NOT NULL);""";
            command.ExecuteNonQuery();
            command.CommandText = $"""INSERT INTO "{HistoryTable}" ("MigrationId", "ProductVersion") VALUES ($id, $version);""";
            var id = AddParameter(command, "$id", "");
            AddParameter(command, "$version", context.Model.GetProductVersion() ?? "");
            foreach (var migration in present)
            {
                id.Value = migration;
                command.ExecuteNonQuery();
            }
            transaction.Commit();
            return present;
        }
        finally
        {
            context.Database.CloseConnection();
        }
    }

    /// <summary>EF Core's migrations history table.</summary>
    private const string HistoryTable = "__EFMigrationsHistory";

    private static bool TableExists(System.Data.Common.DbConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        AddParameter(command, "$name", table);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static bool ColumnExists(System.Data.Common.DbConnection connection, string table, string column)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM pragma_table_info($table) WHERE name = $column";
        AddParameter(command, "$table", table);
        AddParameter(command, "$column", column);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static System.Data.Common.DbParameter AddParameter(System.Data.Common.DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Database '{DatabasePath}' open (journal mode {JournalMode})", EventName = "DatabaseOpened")]
        public static partial void Opened(ILogger logger, string databasePath, string journalMode);
    }
}
