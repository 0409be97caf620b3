namespace SanaSprint.Inference.Pipeline;

/// <summary>An 8-bit RGB image, row-major, interleaved (R, G, B).</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Pixels">Width × Height × 3 bytes.</param>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    /// <summary>Checks the buffer length against the size.</summary>
    public void Validate()
    {
        if (Width <= 0 || Height <= 0) throw new ArgumentException($"image size must be positive but is {Width}x{Height}.");
        if (Pixels.Length != Width * Height * 3) throw new ArgumentException($"image buffer has {Pixels.Length} bytes; expected {Width * Height * 3} ({Width}x{Height}x3).");
    }
}
