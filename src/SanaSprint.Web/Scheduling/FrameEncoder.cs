using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using SkiaSharp;

namespace SanaSprint.Web.Scheduling;

/// <summary>Encodes generated frames as JPEG or WebP (SkiaSharp), as <see cref="SchedulerOptions"/> says.</summary>
/// <param name="options">Format and quality.</param>
public sealed class FrameEncoder(IOptions<SchedulerOptions> options)
{
    /// <summary>Encodes an RGB image.</summary>
    /// <param name="image">The image.</param>
    /// <returns>The encoded bytes and their MIME type.</returns>
    /// <exception cref="ArgumentException">The image buffer does not match its size.</exception>
    /// <exception cref="InvalidOperationException">SkiaSharp could not encode it.</exception>
    public (byte[] Bytes, string ContentType) Encode(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Validate();
        var webp = options.Value.Format == "webp";
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = bitmap.GetPixelSpan();
        var rgb = image.Pixels;
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgba[i] = rgb[j];
            rgba[i + 1] = rgb[j + 1];
            rgba[i + 2] = rgb[j + 2];
            rgba[i + 3] = 255;
        }
        using var data = bitmap.Encode(webp ? SKEncodedImageFormat.Webp : SKEncodedImageFormat.Jpeg, options.Value.Quality)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {image.Width}x{image.Height} frame as {options.Value.Format}.");
        return (data.ToArray(), webp ? "image/webp" : "image/jpeg");
    }
}
