using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SanaSprint.Web.Cluster;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>What each deployment mode starts: one process stays as it was; a cluster mode without Redis does not start.</summary>
/// <param name="app">The app in its default (single) mode.</param>
[Collection(SketchHubCollection.Name)]
public sealed class DeploymentHostingTests(SketchHubFixture app)
{
    [Fact]
    public void TheSingleModeResolvesNoOrleansServiceAndKeepsTheOneProcessDirectory()
    {
        var services = app.Services;

        Assert.Equal(DeploymentMode.Single, services.GetRequiredService<IOptions<DeploymentOptions>>().Value.Mode);
        Assert.Null(services.GetService<IClusterClient>());
        Assert.Null(services.GetService<IGrainFactory>());
        Assert.Null(services.GetService<ISiloStatusOracle>());
        Assert.Null(services.GetService<IClusterMembershipService>());
        Assert.Null(services.GetService<OrleansRoomDirectory>());
        Assert.IsType<LocalRoomDirectory>(services.GetRequiredService<IRoomDirectory>());
    }

    [Theory]
    [InlineData("web")]
    [InlineData("gpu")]
    [InlineData("all")]
    public void AClusterModeWithoutRedisDoesNotStartAndSaysWhichKeyIsMissing(string mode)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Deployment:Mode", mode);
            b.UseSetting("Persistence:Enabled", "false");
        });

        var ex = Assert.ThrowsAny<Exception>(() => factory.Server);

        var validation = Assert.IsType<OptionsValidationException>(ex is AggregateException { InnerExceptions: [var inner] } ? inner : ex);
        Assert.Contains("`Deployment:Redis` is required", validation.Message, StringComparison.Ordinal);
    }
}
