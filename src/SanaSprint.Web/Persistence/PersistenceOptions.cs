using System.ComponentModel.DataAnnotations;

namespace SanaSprint.Web.Persistence;

/// <summary>Where and how rooms and the gallery are stored; bound from the <c>Persistence</c> section and validated at start.</summary>
public sealed class PersistenceOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Persistence";

    /// <summary>The database file name inside <see cref="DataDirectory"/>.</summary>
    public const string DatabaseFileName = "sanasprint.db";

    /// <summary>True: rooms and the gallery live in SQLite under <see cref="DataDirectory"/>; false: in memory only (lost on restart).</summary>
    /// <remarks>Defaults to <c>true</c>.</remarks>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The folder of the database file; relative paths are resolved against the repository root (or the current directory
    /// outside a checkout). Created when missing.
    /// </summary>
    /// <remarks>Defaults to <c>data</c>.</remarks>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Longest time a written-behind change (begun strokes, appended points) waits before it is on disk; acknowledged
    /// changes are committed before their acknowledgement.</summary>
    /// <remarks>Defaults to 200 ms; at most 1 s.</remarks>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:01")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Rooms unchanged for longer than this are dropped at start; zero keeps rooms for ever.</summary>
    /// <remarks>Defaults to 30 days.</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan RoomRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Largest kept-result image or preset thumbnail accepted by the gallery, in bytes; also the largest room frame kept
    /// for joiners after a restart (a larger frame is not stored, and the room restarts without a picture).
    /// </summary>
    /// <remarks>Defaults to 4 MiB.</remarks>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxImageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most user presets kept; the oldest go first.</summary>
    /// <remarks>Defaults to <c>200</c>.</remarks>
    [Range(1, 100_000)]
    public int MaxUserPresets { get; set; } = 200;

    /// <summary>Most kept results; the oldest go first.</summary>
    /// <remarks>Defaults to <c>100</c>.</remarks>
    [Range(1, 100_000)]
    public int MaxKeptResults { get; set; } = 100;

    /// <summary>The absolute database path for these options.</summary>
    /// <param name="baseDirectory">What a relative <see cref="DataDirectory"/> is relative to.</param>
    public string ResolveDatabasePath(string baseDirectory) =>
        Path.Combine(Path.GetFullPath(DataDirectory, baseDirectory), DatabaseFileName);
}
