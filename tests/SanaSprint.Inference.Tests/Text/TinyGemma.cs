using System.Text.Json;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Tests.TestSupport;

namespace SanaSprint.Inference.Tests.Text;

/// <summary>
/// A random Gemma-2 text encoder written in the real layout (config.json, bf16 weights in two shards with
/// <c>model.safetensors.index.json</c>) and a plain loop-by-loop reference forward pass in double precision,
/// written from transformers' Gemma2Model (4.47) independently of the ONNX builder.
/// </summary>
internal static class TinyGemma
{
    public static Dictionary<string, float[]> Write(string directory, Gemma2Config config, int seed, string prefix)
    {
        var random = new Random(seed);
        var weights = new Dictionary<string, (long[] Shape, float[] Data)>(StringComparer.Ordinal);
        void Add(string name, long[] shape, double scale, double offset = 0)
        {
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = RoundToBf16((float)(offset + scale * Gaussian(random)));
            }

            weights[prefix + name] = (shape, data);
        }

        int h = config.HiddenSize, d = config.HeadDim, q = config.NumAttentionHeads * d, kv = config.NumKeyValueHeads * d, m = config.IntermediateSize;
        Add("embed_tokens.weight", [config.VocabSize, h], 0.5);
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            string p = $"layers.{l}.";
            Add(p + "self_attn.q_proj.weight", [q, h], 3.0 / Math.Sqrt(h));
            Add(p + "self_attn.k_proj.weight", [kv, h], 3.0 / Math.Sqrt(h));
            Add(p + "self_attn.v_proj.weight", [kv, h], 1.0 / Math.Sqrt(h));
            Add(p + "self_attn.o_proj.weight", [h, q], 1.0 / Math.Sqrt(q));
            Add(p + "mlp.gate_proj.weight", [m, h], 1.0 / Math.Sqrt(h));
            Add(p + "mlp.up_proj.weight", [m, h], 1.0 / Math.Sqrt(h));
            Add(p + "mlp.down_proj.weight", [h, m], 1.0 / Math.Sqrt(m));
            foreach (var norm in new[] { "input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm" })
            {
                Add($"{p}{norm}.weight", [h], 0.3);
            }
        }

        Add("norm.weight", [h], 0.3);

        // Two shards, split by name order, plus the index (as save_pretrained does for large models).
        var names = weights.Keys.Order(StringComparer.Ordinal).ToArray();
        var shards = new[] { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" };
        var map = new Dictionary<string, string>();
        for (int s = 0; s < 2; s++)
        {
            var writer = new SafetensorsWriter();
            foreach (var name in names.Where((_, i) => i % 2 == s))
            {
                writer.AddBF16(name, weights[name].Shape, weights[name].Data);
                map[name] = shards[s];
            }

            writer.Save(Path.Combine(directory, shards[s]));
        }

        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"),
            JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        File.WriteAllText(Path.Combine(directory, "config.json"),
            JsonSerializer.Serialize(config with { ModelType = "gemma2", Architectures = ["Gemma2Model"] }));
        return weights.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value.Data);
    }

    /// <summary>Gemma2Model.forward(input_ids, attention_mask).last_hidden_state, row-major [batch, length, hidden].</summary>
    public static float[] Reference(Gemma2Config c, Dictionary<string, float[]> w, long[] ids, long[] mask, int batch, int length, bool softcap)
    {
        int h = c.HiddenSize, d = c.HeadDim, nh = c.NumAttentionHeads, nkv = c.NumKeyValueHeads;
        var output = new float[batch * length * h];
        for (int b = 0; b < batch; b++)
        {
            // 1. Embedding × sqrt(hidden)
            var x = new double[length][];
            float normalizer = (float)Math.Sqrt(h);
            for (int t = 0; t < length; t++)
            {
                long id = ids[b * length + t];
                x[t] = Enumerable.Range(0, h).Select(j => (double)w["embed_tokens.weight"][id * h + j] * normalizer).ToArray();
            }

            for (int l = 0; l < c.NumHiddenLayers; l++)
            {
                string p = $"layers.{l}.";
                // 2. Attention
                var a = x.Select(r => RmsNorm(r, w[p + "input_layernorm.weight"], c.RmsNormEps)).ToArray();
                var q = a.Select(r => Linear(r, w[p + "self_attn.q_proj.weight"], nh * d)).ToArray();
                var k = a.Select(r => Linear(r, w[p + "self_attn.k_proj.weight"], nkv * d)).ToArray();
                var v = a.Select(r => Linear(r, w[p + "self_attn.v_proj.weight"], nkv * d)).ToArray();
                for (int t = 0; t < length; t++)
                {
                    for (int head = 0; head < nh; head++) Rope(q[t], head * d, d, t, c.RopeTheta);
                    for (int head = 0; head < nkv; head++) Rope(k[t], head * d, d, t, c.RopeTheta);
                }

                var merged = new double[length][];
                for (int i = 0; i < length; i++)
                {
                    merged[i] = new double[nh * d];
                    for (int head = 0; head < nh; head++)
                    {
                        int kvHead = head / (nh / nkv);
                        var scores = new double[length];
                        for (int j = 0; j < length; j++)
                        {
                            double s = 0;
                            for (int e = 0; e < d; e++) s += q[i][head * d + e] * k[j][kvHead * d + e];
                            s *= Math.Pow(c.QueryPreAttnScalar, -0.5);
                            if (softcap && c.AttnLogitSoftcapping is double cap) s = cap * Math.Tanh(s / cap);
                            bool visible = j <= i && mask[b * length + j] != 0
                                && !(c.IsSlidingLayer(l) && j <= i - c.SlidingWindow!.Value);
                            scores[j] = visible ? s : s + float.MinValue;
                        }

                        double max = scores.Max();
                        var e2 = scores.Select(s => Math.Exp(s - max)).ToArray();
                        double sum = e2.Sum();
                        for (int j = 0; j < length; j++)
                            for (int e = 0; e < d; e++)
                                merged[i][head * d + e] += e2[j] / sum * v[j][kvHead * d + e];
                    }
                }

                for (int t = 0; t < length; t++)
                {
                    var o = RmsNorm(Linear(merged[t], w[p + "self_attn.o_proj.weight"], h), w[p + "post_attention_layernorm.weight"], c.RmsNormEps);
                    for (int j = 0; j < h; j++) x[t][j] += o[j];

                    // 3. GeGLU MLP
                    var n = RmsNorm(x[t], w[p + "pre_feedforward_layernorm.weight"], c.RmsNormEps);
                    var gate = Linear(n, w[p + "mlp.gate_proj.weight"], c.IntermediateSize);
                    var up = Linear(n, w[p + "mlp.up_proj.weight"], c.IntermediateSize);
                    var act = gate.Select((g, i) => GeluTanh(g) * up[i]).ToArray();
                    var mlp = RmsNorm(Linear(act, w[p + "mlp.down_proj.weight"], h), w[p + "post_feedforward_layernorm.weight"], c.RmsNormEps);
                    for (int j = 0; j < h; j++) x[t][j] += mlp[j];
                }
            }

            // 4. Final norm
            for (int t = 0; t < length; t++)
            {
                var y = RmsNorm(x[t], w["norm.weight"], c.RmsNormEps);
                for (int j = 0; j < h; j++) output[(b * length + t) * h + j] = (float)y[j];
            }
        }

        return output;
    }

    private static double[] Linear(double[] x, float[] weight, int outFeatures)
    {
        var y = new double[outFeatures];
        for (int o = 0; o < outFeatures; o++)
            for (int i = 0; i < x.Length; i++)
                y[o] += weight[o * x.Length + i] * x[i];
        return y;
    }

    private static double[] RmsNorm(double[] x, float[] weight, double eps)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double r = 1 / Math.Sqrt(ms + eps);
        return x.Select((v, i) => v * r * (1 + weight[i])).ToArray();
    }

    private static void Rope(double[] x, int offset, int d, int position, double theta)
    {
        int half = d / 2;
        for (int i = 0; i < half; i++)
        {
            double angle = position * Math.Pow(theta, -2.0 * i / d);
            double x1 = x[offset + i], x2 = x[offset + i + half];
            x[offset + i] = x1 * Math.Cos(angle) - x2 * Math.Sin(angle);
            x[offset + i + half] = x2 * Math.Cos(angle) + x1 * Math.Sin(angle);
        }
    }

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static float RoundToBf16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000;
        return BitConverter.UInt32BitsToSingle(rounded);
    }
}
