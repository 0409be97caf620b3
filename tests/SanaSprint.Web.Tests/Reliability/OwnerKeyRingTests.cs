using Microsoft.AspNetCore.Mvc.Testing;
using SanaSprint.Web.Security;

namespace SanaSprint.Web.Tests.Reliability;

/// <summary>The key ring that protects owner cookies lives in the data folder, so a browser stays the owner after a restart.</summary>
public sealed class OwnerKeyRingTests(PersistentHubFixture app) : IClassFixture<PersistentHubFixture>
{
    [Fact]
    public async Task AnOwnerCookieIssuedBeforeARestartIsStillAcceptedAfterIt()
    {
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var first = await client.GetAsync("/");
        var cookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(OwnerCookie.CookieName + "=", StringComparison.Ordinal)).Split(';')[0];
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(app.DataDirectory, "keys"), "*.xml"));

        // Another host over the same data folder: a fresh process as far as Data Protection is concerned.
        await using var restarted = app.WithWebHostBuilder(_ => { });
        using var again = new HttpRequestMessage(HttpMethod.Get, "/gallery");
        again.Headers.Add("Cookie", cookie);
        using var response = await restarted.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false }).SendAsync(again);

        Assert.True(response.IsSuccessStatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith(OwnerCookie.CookieName, StringComparison.Ordinal)),
            "the restarted app did not recognise the cookie and issued a new identity");
    }
}
