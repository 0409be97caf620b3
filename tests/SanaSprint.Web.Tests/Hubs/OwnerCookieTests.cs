using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using SanaSprint.Web.Security;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>The browser's gallery identity cookie.</summary>
[Collection(SketchHubCollection.Name)]
public sealed class OwnerCookieTests(SketchHubFixture app)
{
    [Fact]
    public async Task TheFirstPageIssuesAProtectedHttpOnlyLaxCookieAndLaterPagesKeepIt()
    {
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });

        using var first = await client.GetAsync("/");
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"), c => c.StartsWith(OwnerCookie.CookieName + "=", StringComparison.Ordinal));
        var value = cookie[(OwnerCookie.CookieName.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.True(value.Length > 60, "the cookie carries the owner id protected, not the 22-character id itself");

        using var again = new HttpRequestMessage(HttpMethod.Get, "/gallery");
        again.Headers.Add("Cookie", $"{OwnerCookie.CookieName}={value}");
        using var second = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(second.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith(OwnerCookie.CookieName, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AForgedCookieGetsANewIdentityAndAssetsSetNoCookie()
    {
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/gallery");
        forged.Headers.Add("Cookie", $"{OwnerCookie.CookieName}=BrowserOwnerIdForTests");

        using var page = await client.SendAsync(forged);
        using var asset = await client.GetAsync("/css/app.css");

        Assert.Contains(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith(OwnerCookie.CookieName + "=", StringComparison.Ordinal));
        Assert.False(asset.Headers.TryGetValues("Set-Cookie", out _));
    }
}
