using System.Security.Cryptography;
using SanaSprint.Inference.Caching;

namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// The encoded sketches of recent frames, keyed by the sketch's content: a live frame, its refinement and every prompt or
/// settings change of a room whose drawing did not change reuse one encoder run. The key is a SHA-256 of the sketch's
/// pixels with its size, the frame size, the use (ControlNet scribble map or img2img image) and the autoencoder, so any
/// stroke that changes a pixel re-encodes, and nothing else does.
/// </summary>
/// <remarks>
/// Bounded (least recently used): at most <see cref="Capacity"/> latents, 8 KB each at 256² and 128 KB at 1024² for a
/// 32-channel, 32× DC-AE. The cached arrays are handed out as they are and must never be written: a batch of one passes
/// the cached array itself, which also keeps the device copy of a static input bound from frame to frame.
/// </remarks>
internal sealed class SketchLatentCache
{
    /// <summary>Most latents kept: one per active room and use, for a few dozen rooms.</summary>
    public const int Capacity = 64;

    private readonly LruCache<Key, float[]> _latents = new(Capacity);

    /// <summary>Latents held now.</summary>
    public int Count => _latents.Count;

    /// <summary>The cache key of <paramref name="sketch"/> encoded for a <paramref name="width"/> × <paramref name="height"/> frame.</summary>
    public static Key KeyOf(RgbImage sketch, int width, int height, bool control, FrameDecoder encoder)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(sketch.Pixels, digest);
        return new Key(BitConverter.ToUInt128(digest), BitConverter.ToUInt128(digest[16..]), sketch.Width, sketch.Height, width, height, control, encoder);
    }

    /// <summary>Looks a latent up; a hit becomes the most recent.</summary>
    public bool TryGet(Key key, out float[] latent) => _latents.TryGet(key, out latent);

    /// <summary>Forgets every latent.</summary>
    public void Clear() => _latents.Clear();

    /// <summary>Adds (or replaces) a latent.</summary>
    public void Set(Key key, float[] latent) => _latents.Set(key, latent);

    /// <summary>Identifies one encoded sketch.</summary>
    /// <param name="Digest0">SHA-256 of the pixels, first half.</param>
    /// <param name="Digest1">SHA-256 of the pixels, second half.</param>
    /// <param name="SketchWidth">The sketch's width.</param>
    /// <param name="SketchHeight">The sketch's height.</param>
    /// <param name="Width">Frame width.</param>
    /// <param name="Height">Frame height.</param>
    /// <param name="Control">True for the ControlNet scribble map, false for the img2img image.</param>
    /// <param name="Encoder">The autoencoder that encoded it.</param>
    internal readonly record struct Key(UInt128 Digest0, UInt128 Digest1, int SketchWidth, int SketchHeight, int Width, int Height, bool Control,
        FrameDecoder Encoder);
}
