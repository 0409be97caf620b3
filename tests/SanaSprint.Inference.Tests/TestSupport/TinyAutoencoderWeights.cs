using SanaSprint.Inference.Models;

namespace SanaSprint.Inference.Tests.TestSupport;

/// <summary>
/// Random TAESana weights with the keys and shapes of <see cref="TinyAutoencoder.Parameters(TinyAutoencoderPart, long)"/> (or other widths), initialised uniform ±√(3/fan_in)
/// (unit variance per output before the ReLUs, so the outputs are far from zero), written as a <c>torch.save</c>-style <c>.pth</c> (float16, as taesd
/// publishes them) or as <c>.safetensors</c> with the same keys.
/// </summary>
public static class TinyAutoencoderWeights
{
    /// <summary>The tensors, in module order, after <paramref name="mutate"/> (which may change a shape or drop a key by
    /// returning <c>null</c>) plus an optional <paramref name="extra"/> tensor.</summary>
    public static List<(string Key, long[] Shape, float[] Values)> Generate(TinyAutoencoderPart part, long latentChannels, int seed,
        Func<TinyAutoencoderParameter, TinyAutoencoderParameter?>? mutate = null, (string Key, long[] Shape)? extra = null,
        Func<int, long, long>? width = null)
    {
        var rng = new Random(seed);
        var result = new List<(string, long[], float[])>();
        var all = width is null ? TinyAutoencoder.Parameters(part, latentChannels) : TinyAutoencoder.Parameters(part, latentChannels, width);
        var parameters = all.Select(p => mutate is null ? p : mutate(p)).OfType<TinyAutoencoderParameter>().ToList();
        if (extra is { } e) parameters.Add(new TinyAutoencoderParameter(e.Key, e.Shape));
        foreach (var p in parameters)
        {
            long count = p.Shape.Aggregate(1L, (a, b) => a * b);
            double fanIn = p.Shape.Length == 4 ? p.Shape[1] * p.Shape[2] * p.Shape[3] : 64 * 9;
            double bound = Math.Sqrt(3 / fanIn);
            result.Add((p.Key, p.Shape, Enumerable.Range(0, (int)count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * bound)).ToArray()));
        }
        return result;
    }

    /// <summary>Writes a float16 <c>.pth</c>.</summary>
    public static void WritePth(string path, TinyAutoencoderPart part, long latentChannels, int seed,
        Func<TinyAutoencoderParameter, TinyAutoencoderParameter?>? mutate = null, (string Key, long[] Shape)? extra = null)
    {
        var writer = new TorchPthWriter();
        foreach (var (key, shape, values) in Generate(part, latentChannels, seed, mutate, extra)) writer.AddF16(key, shape, values);
        writer.Save(path, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Writes the same weights as <see cref="WritePth"/> (same seed) as a float16 <c>.safetensors</c>, with other
    /// widths when <paramref name="width"/> is given and the decoder's <c>latent_scale</c> when <paramref name="latentScale"/> is.</summary>
    public static void WriteSafetensors(string path, TinyAutoencoderPart part, long latentChannels, int seed,
        Func<int, long, long>? width = null, float? latentScale = null)
    {
        var writer = new SafetensorsWriter();
        foreach (var (key, shape, values) in Generate(part, latentChannels, seed, width: width)) writer.AddF16(key, shape, values);
        if (latentScale is { } scale) writer.AddF16(TinyAutoencoder.LatentScaleKey, [1], [scale]);
        writer.Save(path);
    }
}
