namespace SanaSprint.Web.Security;

/// <summary>
/// Response headers every page and asset carries: no MIME sniffing, the referrer kept on this site, and a
/// Content-Security-Policy that runs only this app's own scripts.
/// </summary>
/// <remarks>
/// The policy is what Blazor Server and MudBlazor need and nothing more: scripts and connections (the Blazor circuit and
/// the sketch hub's WebSocket) from this origin only, no inline or evaluated script; inline styles are allowed because
/// MudBlazor sets element styles from C#; images also from <c>data:</c> and <c>blob:</c> (frames and thumbnails are shown
/// from blobs). Framing by other sites is refused (<c>frame-ancestors</c>, the successor of X-Frame-Options). See
/// https://learn.microsoft.com/aspnet/core/blazor/security/content-security-policy.
/// </remarks>
public static class SecurityHeaders
{
    /// <summary>The Content-Security-Policy sent with every response.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

    /// <summary>Adds the headers to every response (before anything writes the body).</summary>
    /// <param name="app">The app.</param>
    /// <returns>The same app.</returns>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var headers = ((HttpContext)state).Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                return Task.CompletedTask;
            }, context);
            return next(context);
        });
    }
}
