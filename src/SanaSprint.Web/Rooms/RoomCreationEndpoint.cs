using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.RateLimiting;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// <c>POST /rooms</c>: creates a room and sends the browser to it (303 See Other). A form post with Blazor's antiforgery
/// token (the lobby's "Create a room"), so no link, image or prefetch creates rooms; limited per client address by
/// <see cref="RoomCreationLimiter"/>.
/// </summary>
public static class RoomCreationEndpoint
{
    /// <summary>The path the form posts to.</summary>
    public const string Path = "/rooms";

    /// <summary>Registers <see cref="RoomCreationLimiter"/> and the rate-limiting policy of the endpoint (429 with a sentence).</summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same collection.</returns>
    public static IServiceCollection AddRoomCreation(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<RoomCreationLimiter>();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(RoomCreationLimiter.PolicyName, context => context.RequestServices.GetRequiredService<RoomCreationLimiter>().Partition(context));
            o.OnRejected = async (rejected, cancellationToken) =>
            {
                TimeSpan? after = rejected.Lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var a) ? a : null;
                var response = rejected.HttpContext.Response;
                if (after is { } retry) response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var limiter = rejected.HttpContext.RequestServices.GetRequiredService<RoomCreationLimiter>();
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync(limiter.RefusalMessage(after), cancellationToken);
            };
        });
        return services;
    }

    /// <summary>Maps <see cref="Path"/> (needs <c>UseRateLimiter</c> and <c>UseAntiforgery</c> in the pipeline).</summary>
    /// <param name="endpoints">The endpoint builder.</param>
    /// <returns>The endpoint's convention builder.</returns>
    public static RouteHandlerBuilder MapRoomCreation(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPost(Path, CreateAsync).RequireRateLimiting(RoomCreationLimiter.PolicyName).DisableAntiforgery();
    }

    /// <summary>Checks the antiforgery token, creates the room, and redirects to it; a full server says so (503).</summary>
    private static async Task<IResult> CreateAsync(HttpContext context, IAntiforgery antiforgery, IRoomDirectory rooms)
    {
        // Checked here, not by the middleware's endpoint metadata, so a refusal is a sentence rather than an empty 400.
        if (!await antiforgery.IsRequestValidAsync(context))
            return Results.Text("The form is stale or did not come from this site: open the lobby and use \"Create a room\" again.",
                "text/plain", statusCode: StatusCodes.Status400BadRequest);
        string id;
        try
        {
            id = await rooms.CreateRoomAsync(context.RequestAborted);
        }
        catch (RoomException ex)
        {
            return Results.Text(ex.Message, "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        context.Response.Headers.Location = $"/room/{id}";
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }
}
