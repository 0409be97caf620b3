using SkiaSharp;

namespace SanaSprint.Web.Presets;

/// <summary>Makes small JPEG thumbnails (as <c>data:</c> URLs) from encoded frames, for user presets.</summary>
public static class Thumbnails
{
    /// <summary>Longest side of a thumbnail in pixels.</summary>
    public const int DefaultMaxSize = 320;

    /// <summary>Decodes an image, scales it so its longest side is at most <paramref name="maxSize"/>, and encodes it as a JPEG data URL.</summary>
    /// <param name="image">Encoded image bytes (JPEG, PNG or WebP).</param>
    /// <param name="maxSize">Longest side of the result.</param>
    /// <returns>A <c>data:image/jpeg;base64,…</c> URL.</returns>
    /// <exception cref="ArgumentException">The bytes are not a decodable image, or <paramref name="maxSize"/> is not positive.</exception>
    public static string ToDataUrl(byte[] image, int maxSize = DefaultMaxSize)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSize);
        using var encoded = SKData.CreateCopy(image);
        using var codec = SKCodec.Create(encoded) ?? throw new ArgumentException($"`image` ({image.Length} bytes) is not a decodable image.", nameof(image));
        using var bitmap = SKBitmap.Decode(codec) ?? throw new ArgumentException($"`image` ({image.Length} bytes) could not be decoded.", nameof(image));
        var scale = Math.Min(1.0, (double)maxSize / Math.Max(bitmap.Width, bitmap.Height));
        var width = Math.Max(1, (int)Math.Round(bitmap.Width * scale));
        var height = Math.Max(1, (int)Math.Round(bitmap.Height * scale));
        using var resized = scale < 1.0 ? bitmap.Resize(new SKImageInfo(width, height), new SKSamplingOptions(SKCubicResampler.Mitchell)) : null;
        using var data = (resized ?? bitmap).Encode(SKEncodedImageFormat.Jpeg, 85);
        return "data:image/jpeg;base64," + Convert.ToBase64String(data.AsSpan());
    }
}
