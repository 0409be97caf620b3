namespace SanaSprint.Tests.Shared;

/// <summary>A fresh folder under the system temp folder, deleted on dispose: the one temp-folder helper of every test
/// project (each compiles this file as a link).</summary>
public sealed partial class TempFolder : IDisposable
{
    /// <summary>Creates the folder.</summary>
    /// <param name="prefix">The start of its name, to tell the tests' folders apart.</param>
    public TempFolder(string prefix = "sanasprint-test") => Path = Directory.CreateTempSubdirectory(prefix + "-").FullName;

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder (nothing is created).</summary>
    /// <param name="name">The file or folder name, relative to <see cref="Path"/>.</param>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Deletes the folder, best effort.</summary>
    public void Dispose()
    {
        ReleaseFiles();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process or session still holding a file; the OS temp cleaner takes it.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: a file still mapped on some platforms.
        }
    }

    /// <summary>Lets go of what the test project knows still holds files in the folder; projects that keep such
    /// handles (SQLite's connection pool) implement it in a second linked file.</summary>
    static partial void ReleaseFiles();
}
