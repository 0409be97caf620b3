using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SanaSprint.Cli.Commands;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Cli;

/// <summary><c>bench-components</c>: one row per component of the demo checkpoint, the JSON copy, and a bad <c>--size</c>.</summary>
public sealed partial class BenchComponentsCommandTests
{
    private static async Task<(int Code, string Out, string Err)> BenchComponents(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var parse = BenchComponentsCommand.Create().Parse(args);
        int code = await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task OnTheDemoItPrintsARowPerComponentWithPositiveFiniteTimes()
    {
        using var tmp = new TempFolder();
        string json = tmp.File("components.json");
        var (code, output, error) = await BenchComponents("--size", "64x64", "--runs", "2", "--warmup", "1", "--threads", "2",
            "--device", "cpu", "--cache", tmp.File("cache"), "--json", json);
        Assert.True(code == 0, error);

        string[] expected =
        [
            "text encoder (prompt encode)", "ControlNet step", "transformer step (with the ControlNet residuals)", "DC-AE encode",
            "DC-AE decode", "tiny autoencoder encode", "tiny autoencoder decode",
        ];
        var rows = Row().Matches(output).ToDictionary(m => m.Groups["name"].Value.Trim(), m => m);
        Assert.Equal(expected, rows.Keys);
        foreach (var (name, m) in rows)
        {
            Assert.Equal("2", m.Groups["runs"].Value);
            double median = double.Parse(m.Groups["median"].Value, CultureInfo.InvariantCulture);
            double p90 = double.Parse(m.Groups["p90"].Value, CultureInfo.InvariantCulture);
            Assert.True(median > 0 && double.IsFinite(median), $"{name}: median {median}");
            Assert.True(p90 >= median && double.IsFinite(p90), $"{name}: p90 {p90} below median {median}");
        }

        Assert.Contains("precision fp32, threads 2", output);
        Assert.Contains("64x64, batch 1, 1 warm-up + 2 measured calls per component", output);

        // The JSON copy holds the same rows, unrounded.
        var result = JsonSerializer.Deserialize<ComponentBenchResult>(File.ReadAllText(json), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal((64, 64, 1, "fp32"), (result.Width, result.Height, result.Warmup, result.Precision));
        Assert.Equal(expected, result.Rows.Select(r => r.Component));
        Assert.All(result.Rows, r => Assert.True(r.Runs == 2 && r.MedianMs > 0 && r.P90Ms >= r.MedianMs, r.ToString()));
    }

    [Theory]
    [InlineData("64by64", "must be WxH")]
    [InlineData("0x64", "must be WxH")]
    [InlineData("65x64", "multiple of the autoencoder's scale factor 32")]
    public async Task ABadSizeIsAClearErrorNamingTheOption(string size, string why)
    {
        using var tmp = new TempFolder();
        var (code, output, error) = await BenchComponents("--size", size, "--runs", "1", "--warmup", "0", "--device", "cpu", "--cache", tmp.File("cache"));
        Assert.Equal(1, code);
        Assert.Contains("`--size`", error);
        Assert.Contains(why, error);
        Assert.Contains(size, error);
        Assert.DoesNotContain("| component |", output);
    }

    [Fact]
    public void TimingsAreTheMedianAndTheInterpolatedNinetiethPercentile()
    {
        var t = ComponentTiming.FromSamples("x", [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        Assert.Equal(10, t.Runs);
        Assert.Equal(5.5, t.MedianMs, 12);
        Assert.Equal(9.1, t.P90Ms, 12);
        Assert.Throws<ArgumentException>(() => ComponentTiming.FromSamples("x", []));
    }

    [GeneratedRegex(@"^\| (?<name>[^|]+) \| (?<runs>\d+) \| (?<median>[0-9.]+) \| (?<p90>[0-9.]+) \|\r?$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
