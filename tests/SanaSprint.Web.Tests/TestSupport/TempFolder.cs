namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>A fresh folder under the system temp folder, deleted on dispose: the one temp-folder helper of the web
/// tests (the end-to-end tests compile this file too).</summary>
public sealed class TempFolder : IDisposable
{
    /// <summary>Creates the folder.</summary>
    /// <param name="prefix">The start of its name, to tell the tests' folders apart.</param>
    public TempFolder(string prefix = "sanasprint-test") => Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        // SQLite pools connections; clear them so the files can go.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process still holding a file; the OS temp cleaner takes it.
        }
    }
}
