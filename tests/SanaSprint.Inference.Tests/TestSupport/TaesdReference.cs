namespace SanaSprint.Inference.Tests.TestSupport;

/// <summary>
/// A naive, independent CPU port of taesd.py's <c>F32Encoder</c> / <c>F32Decoder</c> (direct convolution, nearest ×2 upsampling, tanh(x/3)·3), written module by module from taesd.py rather than from
/// <c>TinyAutoencoder</c>'s layer table: the reference for shapes the golden cases do not cover.
/// </summary>
public sealed class TaesdReference(Func<string, float[]> weight)
{
    private sealed record Tensor(float[] Data, int C, int H, int W);

    /// <summary>Runs <c>F32Encoder</c> on one image [3, H, W]; returns the latent and its shape.</summary>
    public (float[] Data, int C, int H, int W) Encode(float[] image, int height, int width)
    {
        var x = new Tensor(image, 3, height, width);
        x = Relu(Conv("0", x, 2));
        x = Relu(Conv("2", x, 2));
        x = Block("4", x);
        int i = 5;
        for (int stage = 0; stage < 3; stage++)
        {
            x = Conv($"{i++}", x, 2, bias: false);
            for (int b = 0; b < 3; b++) x = Block($"{i++}", x);
        }
        x = Conv($"{i}", x, 1);
        return (x.Data, x.C, x.H, x.W);
    }

    /// <summary>Runs <c>F32Decoder</c> on one latent [C, h, w] (times <paramref name="latentScale"/> before the clamp);
    /// returns the image and its shape.</summary>
    public (float[] Data, int C, int H, int W) Decode(float[] latent, int channels, int height, int width, float latentScale = 1)
    {
        var x = new Tensor(latent.Select(v => MathF.Tanh(v * latentScale / 3) * 3).ToArray(), channels, height, width);
        x = Relu(Conv("1", x, 1));
        int i = 3;
        for (int stage = 0; stage < 5; stage++)
        {
            for (int b = 0; b < 3; b++) x = Block($"{i++}", x);
            i++; // nn.Upsample
            x = Conv($"{i++}", Upsample(x), 1, bias: false);
        }
        x = Block($"{i++}", x);
        x = Conv($"{i}", x, 1);
        return (x.Data, x.C, x.H, x.W);
    }

    private Tensor Block(string path, Tensor x)
    {
        var h = Relu(Conv($"{path}.conv.0", x, 1));
        h = Relu(Conv($"{path}.conv.2", h, 1));
        h = Conv($"{path}.conv.4", h, 1);
        var skip = h.C == x.C ? x : Conv($"{path}.skip", x, 1, bias: false);
        return Relu(new Tensor(h.Data.Zip(skip.Data, (a, b) => a + b).ToArray(), h.C, h.H, h.W));
    }

    private static Tensor Relu(Tensor x) => x with { Data = x.Data.Select(v => Math.Max(v, 0f)).ToArray() };

    private static Tensor Upsample(Tensor x)
    {
        var y = new float[x.C * x.H * 2 * x.W * 2];
        for (int c = 0; c < x.C; c++)
            for (int oy = 0; oy < 2 * x.H; oy++)
                for (int ox = 0; ox < 2 * x.W; ox++)
                    y[(c * 2 * x.H + oy) * 2 * x.W + ox] = x.Data[(c * x.H + oy / 2) * x.W + ox / 2];
        return new Tensor(y, x.C, 2 * x.H, 2 * x.W);
    }

    /// <summary><c>nn.Conv2d(c_in, c_out, k, stride, padding=k // 2)</c>; c_out comes from the weight. Accumulates one
    /// kernel tap at a time over whole output rows (float32, as PyTorch's CPU conv does).</summary>
    private Tensor Conv(string path, Tensor x, int stride, bool bias = true)
    {
        var w = weight($"{path}.weight");
        var b = bias ? weight($"{path}.bias") : null;
        int k = path.EndsWith(".skip", StringComparison.Ordinal) ? 1 : 3; // taesd: 3×3 convs, 1×1 skips
        int cout = w.Length / (x.C * k * k), pad = k / 2;
        int oh = (x.H + 2 * pad - k) / stride + 1, ow = (x.W + 2 * pad - k) / stride + 1;
        var y = new float[cout * oh * ow];
        for (int co = 0; co < cout; co++)
        {
            var acc = y.AsSpan(co * oh * ow, oh * ow);
            acc.Fill(b?[co] ?? 0);
            for (int ci = 0; ci < x.C; ci++)
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                    {
                        float wv = w[((co * x.C + ci) * k + ky) * k + kx];
                        // output columns whose input column ox·stride + kx − pad lies inside the image
                        int oxFrom = Math.Max(0, (pad - kx + stride - 1) / stride), oxTo = Math.Min(ow, (x.W - 1 + pad - kx) / stride + 1);
                        for (int oy = 0; oy < oh; oy++)
                        {
                            int iy = oy * stride + ky - pad;
                            if (iy < 0 || iy >= x.H) continue;
                            var src = x.Data.AsSpan((ci * x.H + iy) * x.W);
                            var dst = acc.Slice(oy * ow);
                            if (stride == 1)
                            {
                                var s = src.Slice(oxFrom + kx - pad, oxTo - oxFrom);
                                var d = dst.Slice(oxFrom, oxTo - oxFrom);
                                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(s, wv, d, d); // d += wv · s
                            }
                            else
                            {
                                for (int ox = oxFrom; ox < oxTo; ox++) dst[ox] += wv * src[ox * stride + kx - pad];
                            }
                        }
                    }
        }
        return new Tensor(y, cout, oh, ow);
    }
}
