using System.Security.Cryptography;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.DataProtection;
using SanaSprint.Web.Presets;

namespace SanaSprint.Web.Security;

/// <summary>
/// The browser's gallery identity (<see cref="GalleryOwner"/>): a random owner id in an HttpOnly, SameSite=Lax cookie
/// (Secure over HTTPS), protected with ASP.NET Core Data Protection so it can be neither read nor forged. Issued on the
/// first page a browser opens; the page hands the id to its circuit (<c>App.razor</c> → <c>Routes</c>), so the id never
/// appears in the page.
/// </summary>
/// <param name="protection">Data Protection (its key ring must survive restarts for ownership to survive them).</param>
public sealed class OwnerCookie(IDataProtectionProvider protection)
{
    /// <summary>The cookie's name.</summary>
    public const string CookieName = "sanasprint-owner";

    private static readonly object ItemKey = new();
    private readonly IDataProtector _protector = protection.CreateProtector("SanaSprint.GalleryOwner.v1");

    /// <summary>The owner id of this request's browser, issuing a cookie with a new one when it has none (or a bad one).</summary>
    /// <param name="context">The request (its response not yet started).</param>
    public string Resolve(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items[ItemKey] is string known) return known;
        var id = Read(context.Request.Cookies[CookieName]);
        if (id is null)
        {
            id = GalleryOwner.NewId();
            context.Response.Cookies.Append(CookieName, _protector.Protect(id), new CookieOptions
            {
                HttpOnly = true,
                Secure = context.Request.IsHttps,
                SameSite = SameSiteMode.Lax,
                IsEssential = true,
                Path = "/",
                MaxAge = TimeSpan.FromDays(400), // the longest lifetime browsers accept (RFC 6265bis, section 5.5)
            });
        }
        context.Items[ItemKey] = id;
        return id;
    }

    /// <summary>The owner id <see cref="Resolve"/> found for this request, or null.</summary>
    /// <param name="context">The request.</param>
    public static string? Find(HttpContext? context) => context?.Items[ItemKey] as string;

    private string? Read(string? cookie)
    {
        if (string.IsNullOrEmpty(cookie)) return null;
        try
        {
            var id = _protector.Unprotect(cookie);
            return GalleryOwner.IsOwnerId(id) ? id : null;
        }
        catch (CryptographicException)
        {
            return null; // forged, damaged, or protected by a key this server no longer has: a new identity
        }
    }
}

/// <summary>Registers and applies <see cref="OwnerCookie"/>.</summary>
public static class OwnerCookieExtensions
{
    /// <summary>Resolves the owner (issuing the cookie when needed) for every request to a page (a Razor component endpoint).</summary>
    /// <param name="app">The app (after routing, so the endpoint is known).</param>
    /// <returns>The same app.</returns>
    public static IApplicationBuilder UseOwnerCookie(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
                context.RequestServices.GetRequiredService<OwnerCookie>().Resolve(context);
            return next(context);
        });
    }
}
