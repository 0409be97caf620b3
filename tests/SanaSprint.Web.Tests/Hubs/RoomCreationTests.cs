using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>The app with a budget of three rooms per address and hour, and the client address taken from a test header.</summary>
public sealed class RoomCreationFixture : SketchHubFixture
{
    /// <summary>The header the test server reads the client's address from (there are no sockets).</summary>
    public const string AddressHeader = "X-Test-Client-Address";

    /// <inheritdoc />
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("RoomOptions:RoomCreationsPerAddress", "3"),
        new("RoomOptions:RoomCreationWindow", "01:00:00"),
    ];

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, AddressFromHeader>());
    }

    private sealed class AddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(AddressHeader, out var value)) context.Connection.RemoteIpAddress = IPAddress.Parse(value!);
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

/// <summary>Rooms are created by a deliberate form post from this site, within a budget per client address.</summary>
public sealed partial class RoomCreationTests(RoomCreationFixture app) : IClassFixture<RoomCreationFixture>
{
    private LocalRoomDirectory Rooms => app.Services.GetRequiredService<LocalRoomDirectory>();

    [Fact]
    public async Task OpeningNewOrALinkCreatesNothing()
    {
        using var client = Client("198.51.100.1");
        var before = Rooms.RoomCount;

        using var page = await client.GetAsync("/new");
        using var get = await client.GetAsync(RoomCreationEndpoint.Path);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains($"action=\"{RoomCreationEndpoint.Path}\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(get.IsSuccessStatusCode);
        Assert.Equal(before, Rooms.RoomCount);
    }

    [Fact]
    public async Task APostWithoutTheSitesAntiforgeryTokenIsRefused()
    {
        using var client = Client("198.51.100.2");
        var before = Rooms.RoomCount;

        // A cross-site form: no token at all.
        using var bare = await client.PostAsync(RoomCreationEndpoint.Path, new FormUrlEncodedContent([]));
        // A token copied from a page, without the cookie it belongs to.
        var (token, _) = await TokenAsync(client);
        using var stranger = Client("198.51.100.2", cookies: false);
        using var copied = await stranger.PostAsync(RoomCreationEndpoint.Path, Form(token));

        Assert.Equal(HttpStatusCode.BadRequest, bare.StatusCode);
        Assert.Contains("Create a room", await bare.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, copied.StatusCode);
        Assert.Equal(before, Rooms.RoomCount);
    }

    [Fact]
    public async Task ThePostOfTheLobbysFormCreatesARoomAndSendsTheBrowserToIt()
    {
        using var client = Client("198.51.100.3");
        var (token, _) = await TokenAsync(client);

        using var response = await client.PostAsync(RoomCreationEndpoint.Path, Form(token));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.Matches("^/room/[A-Za-z0-9_-]{22}$", location);
        Assert.True(await Rooms.RoomExistsAsync(location["/room/".Length..]));
    }

    [Fact]
    public async Task EachAddressHasItsOwnBudgetOfNewRooms()
    {
        using var first = Client("203.0.113.10");
        using var second = Client("203.0.113.11");
        var (token, _) = await TokenAsync(first);
        for (var i = 0; i < 3; i++)
        {
            using var created = await first.PostAsync(RoomCreationEndpoint.Path, Form(token));
            Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        }
        var before = Rooms.RoomCount;

        using var refused = await first.PostAsync(RoomCreationEndpoint.Path, Form(token));
        var (otherToken, _) = await TokenAsync(second);
        using var other = await second.PostAsync(RoomCreationEndpoint.Path, Form(otherToken));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("RoomCreationsPerAddress", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.SeeOther, other.StatusCode);
        Assert.Equal(before + 1, Rooms.RoomCount);
    }

    [Fact]
    public async Task TheHubsCreateRoomDrawsOnTheSameBudget()
    {
        // Hub connections of the test server carry no address; form posts without the header share that budget.
        using var client = Client(address: null);
        var (token, _) = await TokenAsync(client);
        for (var i = 0; i < 2; i++)
        {
            using var created = await client.PostAsync(RoomCreationEndpoint.Path, Form(token));
            Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        }
        await using var hub = await app.ConnectAsync();

        await hub.Connection.InvokeAsync<string>("CreateRoom");
        var error = await Reliability.LimitTests.ExpectErrorAsync(hub, "CreateRoom");

        Assert.Equal(RoomErrorCodes.Limit, error.Code);
        Assert.Contains("RoomCreationsPerAddress", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    public void AddressesAreCountedPerHostOrPerIpv6Network(string address, string key) =>
        Assert.Equal(key, RoomCreationLimiter.PartitionKey(IPAddress.Parse(address)));

    private HttpClient Client(string? address, bool cookies = true)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = cookies });
        if (address is not null) client.DefaultRequestHeaders.Add(RoomCreationFixture.AddressHeader, address);
        return client;
    }

    /// <summary>The antiforgery token of the lobby's form (the client keeps the cookie it pairs with).</summary>
    private static async Task<(string Token, string Html)> TokenAsync(HttpClient client)
    {
        var html = await client.GetStringAsync("/");
        var input = TokenInput().Match(html);
        Assert.True(input.Success, "The lobby renders no antiforgery token.");
        return (WebUtility.HtmlDecode(input.Groups["value"].Value), html);
    }

    private static FormUrlEncodedContent Form(string token) => new([new("__RequestVerificationToken", token)]);

    [GeneratedRegex("<input[^>]*name=\"__RequestVerificationToken\"[^>]*value=\"(?<value>[^\"]+)\"", RegexOptions.CultureInvariant)]
    private static partial Regex TokenInput();
}
