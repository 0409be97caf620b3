using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Playwright;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Rooms;

namespace SanaSprint.E2E;

/// <summary>
/// The real app on real Kestrel at a free localhost port, plus one headless Chromium. Subclasses may swap the image
/// generator; the base uses whatever <c>Program</c> registers (the real SANA-Sprint pipeline).
/// </summary>
public class SketchAppFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    private IPlaywright? _playwright;

    /// <summary>The app's base address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The browser (launched in <see cref="InitializeAsync"/>).</summary>
    public IBrowser Browser { get; private set; } = default!;

    /// <summary>Where screenshots go: <c>TestResults/e2e</c> under the repository root.</summary>
    public static string ArtifactsDirectory => Path.Combine(TestPaths.RepoRoot, "TestResults", "e2e");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (!Chromium.IsInstalled)
        {
            throw new InvalidOperationException(
                $"Chromium not found at {Chromium.ExecutablePath} and {Chromium.RequireVariable}=1: install it (apt-get install chromium) or set {Chromium.PathVariable}.");
        }

        // The app finds the top-level wwwroot/ and appsettings.json from the current directory.
        Directory.SetCurrentDirectory(TestPaths.RepoRoot);
        // WebApplicationFactory looks for the content root beside the solution of the test binaries; build outputs may
        // live elsewhere (--artifacts-path), so name it (ASPNETCORE_TEST_CONTENTROOT_<entry assembly>).
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_SANASPRINT_WEB", Path.Combine(TestPaths.RepoRoot, "src", "SanaSprint.Web"));
        var port = FreePort();
        UseKestrel(port);
        StartServer();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.ExecutablePath,
            Headless = true,
            Args = Chromium.Args,
        });
        Directory.CreateDirectory(ArtifactsDirectory);
    }

    /// <summary>This app's own SQLite folder (a temp folder per fixture).</summary>
    public string DataDirectory => _data.Path;

    private readonly TempFolder _data = new("sanasprint-e2e");

    /// <summary>Creates a room through the app's own <see cref="IRoomDirectory"/>.</summary>
    public string CreateRoom() => Services.GetRequiredService<IRoomDirectory>().CreateRoomAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>A fresh browser context (its own storage, like another person) with a desktop viewport.</summary>
    public Task<IBrowserContext> NewContextAsync() => NewContextAsync(new BrowserNewContextOptions
    {
        ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
    });

    /// <summary>A fresh browser context with <paramref name="options"/> (a device's viewport, touch), pointed at the app.</summary>
    public Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options)
    {
        options.BaseURL = BaseAddress.ToString();
        return Browser.NewContextAsync(options);
    }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        // Rooms and kept frames go to a throwaway database, never the checkout's data/ folder.
        builder.UseSetting("Persistence:DataDirectory", DataDirectory);
        builder.ConfigureServices(ConfigureTestServices);
    }

    /// <summary>Overrides services; the base changes nothing.</summary>
    protected virtual void ConfigureTestServices(IServiceCollection services)
    {
    }

    /// <inheritdoc />
    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        await base.DisposeAsync();
        _data.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The app with a painting stand-in for the model: each frame is the sketch, tinted by the seed. It exercises the browser's
/// frame path (bytes → Blob URL → img, latest wins, latency readout) independently of the model.
/// </summary>
public sealed class PaintingGeneratorAppFixture : SketchAppFixture
{
    /// <inheritdoc />
    protected override void ConfigureTestServices(IServiceCollection services)
    {
        services.RemoveAll<IImageGenerator>();
        services.AddSingleton<IImageGenerator, PaintingGenerator>();
    }
}

/// <summary>Paints the sketch in a seed-dependent colour on a pale background; says it is a demo.</summary>
public sealed class PaintingGenerator : IImageGenerator
{
    /// <inheritdoc />
    public GeneratorInfo Info { get; } = new()
    {
        ModelName = "painting stand-in",
        IsDemo = true,
        DemoNotice = "End-to-end test generator: frames repaint the sketch.",
        SupportedModes = [GuidanceMode.Text, GuidanceMode.ControlNet, GuidanceMode.Img2Img],
    };

    /// <inheritdoc />
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        await Task.Delay(20, cancellationToken);
        return [.. requests.Select(Paint)];
    }

    private static GenerationResult Paint(GenerationRequest r)
    {
        var pixels = new byte[r.Width * r.Height * 3];
        var (cr, cg, cb) = ((byte)(r.Seed * 37 % 200), (byte)(r.Seed * 91 % 200), (byte)(r.Seed * 53 % 200));
        for (var y = 0; y < r.Height; y++)
        {
            for (var x = 0; x < r.Width; x++)
            {
                var ink = false;
                if (r.Sketch is { } s)
                {
                    var sx = x * s.Width / r.Width;
                    var sy = y * s.Height / r.Height;
                    var i = (sy * s.Width + sx) * 3;
                    ink = s.Pixels[i] + s.Pixels[i + 1] + s.Pixels[i + 2] < 3 * 128;
                }

                var o = (y * r.Width + x) * 3;
                (pixels[o], pixels[o + 1], pixels[o + 2]) = ink ? (cr, cg, cb) : ((byte)250, (byte)246, (byte)236);
            }
        }

        var t = TimeSpan.FromMilliseconds(5);
        return new GenerationResult(new RgbImage(r.Width, r.Height, pixels),
            new StageTimings { Text = TimeSpan.Zero, ControlEncode = t, Steps = [.. Enumerable.Repeat(t, r.Steps)], Decode = t, Total = t * (r.Steps + 2) });
    }
}
