using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using SanaSprint.Web.Extensions;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Scheduling;

public sealed class OptionsValidationTests
{
    private sealed class AppWith(string key, string value) : SketchHubFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings => [.. base.Settings.Where(kv => kv.Key != key), new(key, value)];
    }

    [Theory]
    [InlineData("SchedulerOptions:Width", "100", "Width")]
    [InlineData("SchedulerOptions:BatchSize", "0", "BatchSize")]
    [InlineData("SchedulerOptions:Format", "gif", "Format")]
    [InlineData("RoomOptions:MaxPointsPerAppend", "0", "MaxPointsPerAppend")]
    [InlineData("RoomOptions:DefaultSteps", "5", "DefaultSteps")]
    [InlineData("RoomOptions:MaxPromptTokens", "0", "MaxPromptTokens")]
    [InlineData("Outbox:EventCapacity", "0", "EventCapacity")]
    [InlineData("Outbox:SendTimeout", "00:00:00", "SendTimeout")]
    public async Task BadSettingsStopTheAppAtStartNamingTheSetting(string key, string value, string name)
    {
        await using var app = new AppWith(key, value);

        var ex = Assert.ThrowsAny<OptionsValidationException>(() => app.Server);

        Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void TheTopLevelWebRootAndAppSettingsAreUsed()
    {
        var builder = WebApplication.CreateBuilder(ServiceDefaults.CreateOptions([]));
        builder.AddServiceDefaults();
        var root = TestPaths.RepoRoot;

        Assert.NotNull(root);
        Assert.Equal(Path.Combine(root, "wwwroot"), builder.Environment.WebRootPath.TrimEnd(Path.DirectorySeparatorChar));
        // Values only the repository-root appsettings.json holds.
        Assert.Equal("ControlNet", builder.Configuration["RoomOptions:DefaultMode"]);
        Assert.Equal("jpeg", builder.Configuration["SchedulerOptions:Format"]);
    }
}
