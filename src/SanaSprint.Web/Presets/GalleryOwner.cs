using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace SanaSprint.Web.Presets;

/// <summary>
/// Who a browser is to the gallery: a random id (128 bits, 22 URL-safe characters) kept in that browser's protected
/// cookie (<see cref="Security.OwnerCookie"/>). It owns the presets saved and frames kept from that browser, and is a
/// member of the rooms opened in it. Cascaded to every page from the first request of a circuit.
/// </summary>
/// <param name="Id">The owner id.</param>
public sealed record GalleryOwner(string Id)
{
    /// <summary>A fresh owner id.</summary>
    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    /// <summary>True for a well-formed owner id (22 URL-safe Base64 characters).</summary>
    /// <param name="id">The candidate.</param>
    public static bool IsOwnerId([NotNullWhen(true)] string? id) =>
        id is { Length: 22 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The id, or an error naming what is missing.</summary>
    /// <param name="ownerId">The caller's owner id.</param>
    /// <exception cref="GalleryAccessException">No owner (the browser refused the cookie).</exception>
    public static string Require([NotNull] string? ownerId) => IsOwnerId(ownerId)
        ? ownerId
        : throw new GalleryAccessException("This browser has no gallery identity (its cookie was refused), so nothing can be saved or changed from it.");
}
