namespace SanaSprint.Web.Presets;

/// <summary>A gallery change the caller may not make (not the owner, or no owner at all); nothing was changed.</summary>
/// <param name="message">A sentence saying who may make it.</param>
public sealed class GalleryAccessException(string message) : Exception(message);
