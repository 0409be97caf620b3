using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>The host serves the Blazor shell and the package assets it links.</summary>
[Collection(SketchHubCollection.Name)]
public sealed class ShellTests(SketchHubFixture app)
{
    [Fact]
    public async Task TheRootPageIsTheMudBlazorShell()
    {
        var html = await app.CreateClient().GetStringAsync("/");

        Assert.Contains("_content/MudBlazor/MudBlazor.min.css", html);
        Assert.Contains("mud-layout", html);
        Assert.Contains("_framework/blazor.web.js", html);
    }

    [Theory]
    [InlineData("/_content/MudBlazor/MudBlazor.min.css", "text/css")]
    [InlineData("/_content/MudBlazor/MudBlazor.min.js", "text/javascript")]
    [InlineData("/_framework/blazor.web.js", "text/javascript")]
    [InlineData("/lib/signalr/signalr.min.js", "text/javascript")]
    public async Task StaticAssetsFromPackagesAndTheTopLevelWebRootAreServed(string path, string contentType)
    {
        using var response = await app.CreateClient().GetAsync(path);

        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 1000);
    }
}
