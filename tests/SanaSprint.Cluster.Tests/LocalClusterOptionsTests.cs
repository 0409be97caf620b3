using SanaSprint.LocalCluster;

namespace SanaSprint.Cluster.Tests;

public sealed class LocalClusterOptionsTests
{
    [Fact]
    public void ParsesEveryOption()
    {
        var options = LocalClusterOptions.Parse(["--web", "3", "--gpu", "2", "--port", "0", "--redis", "10.0.0.5:6380", "--cluster-id", "demo",
            "--data", "/tmp/x", "--node", "/tmp/n.dll", "--set", "SchedulerOptions:Width=256", "--gpu-set", "Inference:Device=cpu", "--set", "A=b=c"]);

        Assert.Equal(3, options.Web);
        Assert.Equal(2, options.Gpu);
        Assert.Equal(0, options.Port);
        Assert.Equal("10.0.0.5:6380", options.Redis);
        Assert.Equal("demo", options.ClusterId);
        Assert.Equal("/tmp/x", options.DataDirectory);
        Assert.Equal("/tmp/n.dll", options.NodeAssembly);
        Assert.Equal([new("SchedulerOptions:Width", "256"), new("A", "b=c")], options.Settings);
        Assert.Equal([new KeyValuePair<string, string>("Inference:Device", "cpu")], options.GpuSettings);
    }

    [Fact]
    public void DefaultsAreTwoWebOneGpuOnPort5000()
    {
        var options = LocalClusterOptions.Parse([]);

        Assert.Equal((2, 1, 5000, null), (options.Web, options.Gpu, options.Port, options.Redis));
    }

    [Theory]
    [InlineData("--web", "0", "--web must be a whole number from 1 to 64")]
    [InlineData("--gpu", "-1", "--gpu must be a whole number from 0 to 64")]
    [InlineData("--port", "70000", "--port must be a port")]
    [InlineData("--set", "novalue", "--set takes KEY=VALUE")]
    [InlineData("--bogus", "1", "unknown option --bogus")]
    public void RefusesBadArgumentsNamingThem(string name, string value, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => LocalClusterOptions.Parse([name, value]));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptionWithoutItsValueIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => LocalClusterOptions.Parse(["--web"]));

        Assert.Contains("--web needs a value", e.Message, StringComparison.Ordinal);
    }
}
