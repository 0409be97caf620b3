using Microsoft.Extensions.Options;
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
    public async Task BadSettingsStopTheAppAtStartNamingTheSetting(string key, string value, string name)
    {
        await using var app = new AppWith(key, value);

        var ex = Assert.ThrowsAny<OptionsValidationException>(() => app.Server);

        Assert.Contains(name, ex.Message);
    }

    [Fact]
    public async Task TheTopLevelAppSettingsAreLoaded()
    {
        await using var app = new SketchHubFixture();
        var configuration = (Microsoft.Extensions.Configuration.IConfiguration)app.Services.GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration))!;

        // Values only the repository-root appsettings.json holds (the fixture overrides neither).
        Assert.Equal("ControlNet", configuration["RoomOptions:DefaultMode"]);
        Assert.Equal("jpeg", configuration["SchedulerOptions:Format"]);
    }
}
