using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace SanaSprint.Inference.Runtime;

/// <summary>Where a native library was found, or every place it was looked for.</summary>
/// <param name="Name">The requested name (e.g. <c>libcublasLt.so.13</c>).</param>
/// <param name="Loaded">True when the dynamic loader opened it from this process.</param>
/// <param name="Path">The file found on disk, when one of the searched folders holds it.</param>
/// <param name="SearchedLocations">What was searched, in order (e.g. <c>LD_LIBRARY_PATH=/a:/b</c>, the app folder).</param>
/// <param name="Error">The loader's error when it could not open it.</param>
public sealed record NativeLibraryLookup(string Name, bool Loaded, string? Path, IReadOnlyList<string> SearchedLocations, string? Error = null)
{
    /// <summary>One line for messages: where it is, or where it was looked for.</summary>
    public string Describe() => Loaded
        ? $"{Name}: found{(Path is null ? " by the dynamic loader" : $" at {Path}")}"
        : Path is not null
            ? $"{Name}: present at {Path} but the loader cannot open it{(Error is null ? "" : $" ({Error})")}"
            : $"{Name}: not found (looked in {string.Join("; ", SearchedLocations)})";
}

/// <summary>
/// The seam between provider selection and the machine: appending the CUDA execution provider, creating a session and
/// opening native libraries. <see cref="SystemProviderRuntime"/> is the real one; tests substitute failures (a missing
/// <c>libcublasLt.so.13</c>, a driver that is too old) without a GPU.
/// </summary>
public interface IProviderRuntime
{
    /// <summary>Appends the CUDA execution provider to <paramref name="options"/> (ONNX Runtime loads the provider library here).</summary>
    /// <param name="options">The session options.</param>
    /// <param name="settings">CUDA settings.</param>
    void AppendCuda(SessionOptions options, CudaProviderSettings settings);

    /// <summary>Creates a session (ONNX Runtime creates the CUDA context and allocators here).</summary>
    /// <param name="model">Serialized ONNX model.</param>
    /// <param name="options">The session options.</param>
    /// <returns>The session.</returns>
    InferenceSession CreateSession(byte[] model, SessionOptions options);

    /// <summary>Where bound buffers live for a CUDA session on <paramref name="deviceId"/>.</summary>
    /// <param name="deviceId">CUDA device ordinal.</param>
    /// <returns>The placement (the caller disposes it).</returns>
    DevicePlacement CudaPlacement(int deviceId);

    /// <summary>Looks a native library up the way the dynamic loader would, and says where it looked.</summary>
    /// <param name="name">Library file name (soname on Linux).</param>
    /// <returns>The lookup.</returns>
    NativeLibraryLookup Find(string name);
}

/// <summary>The real <see cref="IProviderRuntime"/>: ONNX Runtime's C# API and the operating system's dynamic loader.</summary>
public sealed class SystemProviderRuntime : IProviderRuntime
{
    /// <summary>The instance.</summary>
    public static SystemProviderRuntime Instance { get; } = new();

    private static readonly Lazy<IReadOnlyDictionary<string, string>> LdCache = new(ReadLdConfigCache);

    /// <inheritdoc />
    public void AppendCuda(SessionOptions options, CudaProviderSettings settings) => ExecutionProviders.AppendCuda(options, settings);

    /// <inheritdoc />
    public InferenceSession CreateSession(byte[] model, SessionOptions options) => new(model, options);

    /// <inheritdoc />
    public DevicePlacement CudaPlacement(int deviceId) => DevicePlacement.Cuda(deviceId);

    /// <summary>
    /// The folders the Linux dynamic loader searches for a soname (ld.so(8): <c>LD_LIBRARY_PATH</c>, the
    /// <c>ldconfig</c> cache, then the default folders), plus the app's own folders where NuGet puts native assets
    /// (<c>runtimes/&lt;rid&gt;/native</c>), which .NET adds when ONNX Runtime itself is loaded.
    /// </summary>
    /// <returns>Labelled folders, in search order.</returns>
    public static IReadOnlyList<(string Label, string Folder)> SearchFolders()
    {
        var folders = new List<(string, string)>();
        foreach (var d in (Environment.GetEnvironmentVariable(OperatingSystem.IsWindows() ? "PATH" : "LD_LIBRARY_PATH") ?? "")
                     .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            folders.Add(("LD_LIBRARY_PATH", d));
        string app = AppContext.BaseDirectory;
        folders.Add(("the app folder", app));
        folders.Add(("the app folder", Path.Combine(app, "runtimes", RuntimeInformation.RuntimeIdentifier, "native")));
        if (!OperatingSystem.IsWindows())
        {
            folders.Add(("the app folder", Path.Combine(app, "runtimes", "linux-x64", "native")));
            foreach (var d in new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/usr/local/cuda/lib64" })
                folders.Add(("default", d));
        }

        return folders.DistinctBy(f => f.Item2).ToList();
    }

    /// <inheritdoc />
    public NativeLibraryLookup Find(string name)
    {
        var searched = new List<string>();
        string? path = null;
        foreach (var group in SearchFolders().GroupBy(f => f.Label))
        {
            searched.Add($"{group.Key} ({string.Join(", ", group.Select(f => f.Folder))})");
            path ??= group.Select(f => Path.Combine(f.Folder, name)).FirstOrDefault(File.Exists);
        }

        if (!searched.Any(l => l.StartsWith("LD_LIBRARY_PATH", StringComparison.Ordinal)))
            searched.Insert(0, OperatingSystem.IsWindows() ? "PATH (empty)" : "LD_LIBRARY_PATH (not set)");
        if (!OperatingSystem.IsWindows())
        {
            searched.Insert(Math.Max(0, searched.FindIndex(s => s.StartsWith("default", StringComparison.Ordinal))), "the ldconfig cache (ldconfig -p)");
            if (path is null && LdCache.Value.TryGetValue(name, out var cached)) path = cached;
        }

        // The loader's own answer (dlopen / LoadLibrary): what ONNX Runtime's provider library will get. A library that
        // is present but cannot be opened names the dependency that is missing in the loader's message.
        bool loaded = NativeLibrary.TryLoad(name, out _);
        string? error = null;
        if (!loaded && path is not null)
        {
            try
            {
                NativeLibrary.Load(path);
                loaded = true;
            }
            catch (DllNotFoundException ex)
            {
                error = LoaderError(ex.Message);
            }
            catch (BadImageFormatException ex)
            {
                error = ProviderDiagnosis.FirstLine(ex.Message);
            }
        }

        return new NativeLibraryLookup(name, loaded, path, searched, error);
    }

    /// <summary>The dlerror text .NET puts after its first line (e.g. <c>libcublasLt.so.13: cannot open shared object file</c>).</summary>
    private static string LoaderError(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 1 ? string.Join("; ", lines[1..]) : ProviderDiagnosis.FirstLine(message);
    }

    /// <summary>Opens a library the loader can find and returns an exported function, or null.</summary>
    /// <typeparam name="T">An unmanaged function pointer's delegate type.</typeparam>
    /// <param name="library">Library name.</param>
    /// <param name="export">Exported symbol.</param>
    /// <returns>The delegate, or null.</returns>
    internal static T? TryGetExport<T>(string library, string export) where T : Delegate =>
        NativeLibrary.TryLoad(library, out var h) && NativeLibrary.TryGetExport(h, export, out var p) ? Marshal.GetDelegateForFunctionPointer<T>(p) : null;

    private static IReadOnlyDictionary<string, string> ReadLdConfigCache()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var exe in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig" })
        {
            if (!File.Exists(exe)) continue;
            try
            {
                using var p = Process.Start(new ProcessStartInfo(exe, "-p") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
                if (p is null) continue;
                string text = p.StandardOutput.ReadToEnd();
                p.WaitForExit(5000);
                // Lines look like: "\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.13".
                foreach (var line in text.Split('\n'))
                {
                    int arrow = line.IndexOf("=>", StringComparison.Ordinal);
                    int paren = line.IndexOf(" (", StringComparison.Ordinal);
                    if (arrow < 0 || paren < 0) continue;
                    map.TryAdd(line[..paren].Trim(), line[(arrow + 2)..].Trim());
                }

                break;
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
            {
                // No ldconfig to ask: the other folders still are searched.
            }
        }

        return map;
    }
}
