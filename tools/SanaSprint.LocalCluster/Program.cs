// A local multi-process deployment in one command:
//
//   dotnet run --project tools/SanaSprint.LocalCluster -- --web 2 --gpu 2
//
// starts redis-server if none answers on localhost:6379 (or uses --redis), the gpu and web processes of SanaSprint.Web
// (each with its own HTTP, silo and gateway ports and data folder), and a YARP load balancer with cookie affinity and
// health checks; Ctrl+C stops all of them.

namespace SanaSprint.LocalCluster;

/// <summary>Entry point.</summary>
internal static class LocalClusterMain
{
    public static async Task<int> Main(string[] args)
    {
        LocalClusterOptions options;
        try
        {
            options = LocalClusterOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(LocalClusterOptions.Usage);
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            await using var cluster = await LocalClusterRunner.StartAsync(options, Console.WriteLine, stop.Token);
            Console.WriteLine($"SanaSprint is up at {cluster.Url} ({options.Web} web, {options.Gpu} gpu; data and logs in {cluster.DataDirectory}). Ctrl+C stops it.");
            await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            Console.WriteLine("stopping…");
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("stopped before the cluster was up.");
            return 1;
        }
        catch (Exception e) when (e is InvalidOperationException or FileNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
