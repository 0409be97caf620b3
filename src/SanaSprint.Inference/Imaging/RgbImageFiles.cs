using SkiaSharp;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Imaging;

/// <summary>Reads and writes <see cref="RgbImage"/> as image files (SkiaSharp).</summary>
public static class RgbImageFiles
{
    /// <summary>Decodes a PNG/JPEG/WebP file; transparent pixels are composited over white (a canvas background).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The image.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable image.</exception>
    public static RgbImage Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Image '{path}' was not found.", path);
        using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException($"'{path}' is not a PNG, JPEG or WebP image.");
        using var rgba = new SKBitmap(new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!decoded.CopyTo(rgba, SKColorType.Rgba8888)) throw new InvalidDataException($"'{path}': cannot convert to RGBA.");
        var src = rgba.GetPixelSpan();
        var pixels = new byte[decoded.Width * decoded.Height * 3];
        for (int i = 0, n = decoded.Width * decoded.Height; i < n; i++)
        {
            int a = src[4 * i + 3];
            for (int c = 0; c < 3; c++) pixels[3 * i + c] = (byte)((src[4 * i + c] * a + 255 * (255 - a) + 127) / 255);
        }

        return new RgbImage(decoded.Width, decoded.Height, pixels);
    }

    /// <summary>Encodes an image as PNG.</summary>
    /// <param name="image">The image.</param>
    /// <returns>PNG bytes.</returns>
    public static byte[] EncodePng(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Validate();
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var dst = bitmap.GetPixelSpan();
        for (int i = 0, n = image.Width * image.Height; i < n; i++)
        {
            dst[4 * i] = image.Pixels[3 * i];
            dst[4 * i + 1] = image.Pixels[3 * i + 1];
            dst[4 * i + 2] = image.Pixels[3 * i + 2];
            dst[4 * i + 3] = 255;
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Writes an image as a PNG file (creating the folder).</summary>
    /// <param name="image">The image.</param>
    /// <param name="path">Target file.</param>
    public static void WritePng(RgbImage image, string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, EncodePng(image));
    }
}
