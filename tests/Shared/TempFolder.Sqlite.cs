namespace SanaSprint.Tests.Shared;

/// <summary>The part of <see cref="TempFolder"/> for test projects that open SQLite databases in it.</summary>
public sealed partial class TempFolder
{
    // SQLite pools connections and keeps their files open; clear the pools so the files can go.
    static partial void ReleaseFiles() => Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
}
