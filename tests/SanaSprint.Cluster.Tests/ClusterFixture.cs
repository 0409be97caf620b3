using SanaSprint.LocalCluster;

namespace SanaSprint.Cluster.Tests;

/// <summary>
/// A local cluster of test nodes (tests/SanaSprint.ClusterNode: the product's app, the model swapped for a fixed-delay
/// double) over a private append-only redis-server, started by a test and stopped at its end.
/// </summary>
internal sealed class ClusterFixture : IAsyncDisposable
{
    private ClusterFixture(RedisServer redis, LocalClusterRunner cluster)
    {
        Redis = redis;
        Cluster = cluster;
    }

    public RedisServer Redis { get; }

    public LocalClusterRunner Cluster { get; }

    public static async Task<ClusterFixture> StartAsync(int web, int gpu, int doubleMs, params string[] settings)
    {
        var redis = RedisServer.Start(appendOnly: true);
        try
        {
            var options = new LocalClusterOptions
            {
                Web = web,
                Gpu = gpu,
                Port = 0,
                Redis = redis.Configuration,
                ClusterId = $"test-{Guid.NewGuid():N}"[..20],
                NodeAssembly = TestNodeAssembly(),
                StartTimeout = TimeSpan.FromMinutes(3),
            };
            options.NodeArguments.AddRange(["--model-double-ms", doubleMs.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            // Small frames: the double's images are encoded like real ones.
            options.Settings.Add(new("SchedulerOptions:Width", "64"));
            options.Settings.Add(new("SchedulerOptions:Height", "64"));
            options.Settings.Add(new("Deployment:FrameDeadline", "00:00:03"));
            foreach (var setting in settings)
            {
                var eq = setting.IndexOf('=', StringComparison.Ordinal);
                options.Settings.Add(new(setting[..eq], setting[(eq + 1)..]));
            }
            return new ClusterFixture(redis, await LocalClusterRunner.StartAsync(options));
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    /// <summary>The test node's build output beside this test project's (same configuration).</summary>
    public static string TestNodeAssembly()
    {
        var here = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var tfm = Path.GetFileName(here);
        var configuration = Path.GetFileName(Path.GetDirectoryName(here)!);
        var path = Path.Combine(TestPaths.RepoRoot, "tests", "SanaSprint.ClusterNode", "bin", configuration, tfm, "SanaSprint.ClusterNode.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"The test node is not built at {path}.");
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Redis.Dispose();
    }
}
