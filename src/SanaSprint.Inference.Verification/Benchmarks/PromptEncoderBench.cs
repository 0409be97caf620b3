using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Verification;

/// <summary>What <see cref="PromptEncoderBench.Run"/> measured.</summary>
/// <param name="Config">The encoder architecture.</param>
/// <param name="Parameters">Number of parameters.</param>
/// <param name="WeightsWriteTime">Writing the random float32 checkpoint (not part of a real start).</param>
/// <param name="GraphBuildTime">Building the ONNX graph from the config and checkpoint header.</param>
/// <param name="GraphSaveTime">Writing the graph (weights referenced in place).</param>
/// <param name="SessionCreateTime">Creating the ONNX Runtime session (loading and optimising the weights).</param>
/// <param name="Tokens">Window length of the encoded prompt.</param>
/// <param name="EncodeTime">One prompt through <see cref="PromptEncoder"/> on a cache miss (tokenize, encode, select).</param>
/// <param name="SecondEncodeTime">A second, different prompt of the same length (warm session).</param>
/// <param name="CacheHitTime">The first prompt again, served from the cache (<see cref="PromptEncoder.EncodeAsync(string, CancellationToken)"/>, median of 9).</param>
/// <param name="Provider">The execution provider that ran the session.</param>
public sealed record PromptEncoderBenchResult(
    Gemma2Config Config, long Parameters, TimeSpan WeightsWriteTime, TimeSpan GraphBuildTime, TimeSpan GraphSaveTime,
    TimeSpan SessionCreateTime, int Tokens, TimeSpan EncodeTime, TimeSpan SecondEncodeTime, TimeSpan CacheHitTime, string Provider)
{
    /// <summary>A human-readable summary, one measurement per line.</summary>
    public override string ToString()
    {
        var c = Config;
        return string.Join(Environment.NewLine,
            $"Gemma-2 encoder: {c.NumHiddenLayers} layers, hidden {c.HiddenSize}, {c.NumAttentionHeads}×{c.HeadDim} heads / {c.NumKeyValueHeads} kv, MLP {c.IntermediateSize}, vocab {c.VocabSize}: {Parameters / 1e9:F2} B parameters (float32, random)",
            $"random checkpoint written   {WeightsWriteTime.TotalSeconds,8:F1} s",
            $"graph build                 {GraphBuildTime.TotalSeconds,8:F2} s",
            $"graph save                  {GraphSaveTime.TotalSeconds,8:F2} s",
            $"session create ({Provider,-4})       {SessionCreateTime.TotalSeconds,8:F1} s",
            $"encode {Tokens}-token prompt (miss) {EncodeTime.TotalSeconds,8:F2} s",
            $"encode another prompt (warm){SecondEncodeTime.TotalSeconds,8:F2} s",
            $"cache hit (median of 9)     {CacheHitTime.TotalMilliseconds,8:F3} ms");
    }
}

/// <summary>
/// The prompt-path bench: a full-size Gemma-2-2B encoder (or any <see cref="Gemma2Config"/>) with random weights — graph
/// build time, one encode of an N-token prompt through <see cref="PromptEncoder"/>, and a cache hit (the CLI's
/// <c>bench-text</c>); the full-size model needs about 10.5 GB of disk and 11 GB of memory in float32.
/// </summary>
public static class PromptEncoderBench
{
    /// <summary>Writes a float32 checkpoint of random weights (single <c>model.safetensors</c>, streamed) and <c>config.json</c>.</summary>
    /// <param name="directory">Target folder (created).</param>
    /// <param name="config">The architecture.</param>
    /// <param name="seed">Random seed.</param>
    /// <returns>The number of parameters written.</returns>
    public static long WriteRandomCheckpoint(string directory, Gemma2Config config, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Directory.CreateDirectory(directory);
        var tensors = Parameters(config);

        // Header first (offsets are known up front), then each tensor streamed in chunks.
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var (name, shape, _) in tensors)
        {
            long bytes = shape.Aggregate(1L, (a, b) => a * b) * 4;
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int pad = (8 - json.Length % 8) % 8;
        json = [.. json, .. Enumerable.Repeat((byte)' ', pad)];
        using (var file = new FileStream(Path.Combine(directory, "model.safetensors"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 22))
        {
            file.Write(BitConverter.GetBytes((ulong)json.Length));
            file.Write(json);
            var chunk = new float[1 << 20];
            ulong state = (ulong)seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL;
            foreach (var (_, shape, scale) in tensors)
            {
                long count = shape.Aggregate(1L, (a, b) => a * b);
                for (long done = 0; done < count; done += chunk.Length)
                {
                    int n = (int)Math.Min(chunk.Length, count - done);
                    for (int i = 0; i < n; i++)
                    {
                        // xorshift64*: uniform in [−1, 1), scaled (sum of variances as a normal init would give).
                        state ^= state >> 12;
                        state ^= state << 25;
                        state ^= state >> 27;
                        chunk[i] = (float)(((long)((state * 0x2545F4914F6CDD1DUL) >> 11) / (double)(1L << 52) - 1.0) * scale);
                    }

                    file.Write(MemoryMarshal.AsBytes(chunk.AsSpan(0, n)));
                }
            }
        }

        File.WriteAllText(Path.Combine(directory, "config.json"),
            JsonSerializer.Serialize(config with { ModelType = "gemma2", Architectures = [Gemma2Model.ClassName], TorchDtype = "float32" }));
        return tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
    }

    /// <summary>
    /// Writes a random checkpoint, builds and loads the encoder, and times one N-token encode (miss), another (warm) and a
    /// cache hit through <see cref="PromptEncoder"/> (no instruction, so the window is exactly N tokens).
    /// </summary>
    /// <param name="workDirectory">Scratch folder for the checkpoint and graph (deleted afterwards).</param>
    /// <param name="sessions">Session factory (CPU or CUDA).</param>
    /// <param name="tokenizer">Any Gemma SentencePiece tokenizer whose vocabulary fits the config.</param>
    /// <param name="config">The architecture; <c>null</c> for Gemma-2-2B (<see cref="Gemma2Config"/> defaults).</param>
    /// <param name="tokens">N, the prompt window (default 300).</param>
    /// <param name="progress">Stage messages.</param>
    public static PromptEncoderBenchResult Run(string workDirectory, OnnxSessionFactory sessions, GemmaTokenizer tokenizer,
        Gemma2Config? config = null, int tokens = 300, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 2);
        config ??= new Gemma2Config();
        if (tokenizer.VocabularySize > config.VocabSize)
            throw new ArgumentException($"The tokenizer's {tokenizer.VocabularySize} pieces exceed the config's vocab_size {config.VocabSize}.", nameof(tokenizer));
        string checkpointDirectory = Path.Combine(workDirectory, "text_encoder");
        string graphDirectory = Path.Combine(workDirectory, "graph");
        try
        {
            // 1. Random float32 checkpoint
            progress?.Report("writing random checkpoint");
            long started = Stopwatch.GetTimestamp();
            long parameters = WriteRandomCheckpoint(checkpointDirectory, config);
            var writeTime = Stopwatch.GetElapsedTime(started);

            // 2. Graph build and save (weights referenced in place: the checkpoint is float32)
            progress?.Report("building graph");
            started = Stopwatch.GetTimestamp();
            var (graph, checkpoint, loaded) = Gemma2Model.BuildFromDirectory(checkpointDirectory);
            var buildTime = Stopwatch.GetElapsedTime(started);
            string modelPath = Path.Combine(graphDirectory, "gemma2.onnx");
            started = Stopwatch.GetTimestamp();
            using (checkpoint)
            {
                OnnxModelWriter.Save(graph, modelPath, WeightStorage.ReferenceCheckpoint);
            }

            var saveTime = Stopwatch.GetElapsedTime(started);

            // 3. Session
            progress?.Report("creating session");
            started = Stopwatch.GetTimestamp();
            var session = sessions.Create("text_encoder", modelPath);
            var sessionTime = Stopwatch.GetElapsedTime(started);
            using var encoder = new Gemma2TextEncoder(session, loaded, Gemma2GraphOptions.Default);
            using var service = new PromptEncoder(new GemmaPromptTokenizer(tokenizer), encoder,
                defaultOptions: new PromptEncodingOptions { UseComplexHumanInstruction = false, MaxSequenceLength = tokens });

            // 4. Encodes: a miss, a second miss (warm), a hit
            progress?.Report($"encoding a {tokens}-token prompt");
            var first = service.Encode([LongPrompt("a photo of an astronaut riding a horse on the moon, highly detailed, ", tokenizer, tokens)])[0];
            var second = service.Encode([LongPrompt("a watercolour fox in a snowy forest at dawn, soft light, ", tokenizer, tokens)])[0];
            string firstPrompt = LongPrompt("a photo of an astronaut riding a horse on the moon, highly detailed, ", tokenizer, tokens);
            var hits = Enumerable.Range(0, 9).Select(_ => service.EncodeAsync(firstPrompt).GetAwaiter().GetResult()).ToList();
            if (hits.Any(h => !h.CacheHit) || first.Encoding.TokenCount != tokens)
                throw new InvalidOperationException($"Bench self-check failed: hits={hits.Count(h => h.CacheHit)}/9, real tokens {first.Encoding.TokenCount} of {tokens}.");
            var hitTime = hits.Select(h => h.Elapsed).Order().ElementAt(hits.Count / 2); // median

            return new PromptEncoderBenchResult(loaded, parameters, writeTime, buildTime, saveTime, sessionTime, tokens,
                first.Elapsed, second.Elapsed, hitTime, sessions.Provider.DisplayName);
        }
        finally
        {
            try
            {
                Directory.Delete(checkpointDirectory, recursive: true);
                Directory.Delete(graphDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // A prompt at least `tokens` tokens long (truncation keeps the first tokens − 1 after BOS).
    private static string LongPrompt(string phrase, GemmaTokenizer tokenizer, int tokens)
    {
        var text = new StringBuilder(phrase);
        while (tokenizer.CountTokens(text.ToString()) < tokens + 1) text.Append(phrase);
        return text.ToString();
    }

    private static List<(string Name, long[] Shape, double Scale)> Parameters(Gemma2Config c)
    {
        long h = c.HiddenSize, q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim, m = c.IntermediateSize;
        double Init(long fanIn) => Math.Sqrt(3.0 / fanIn); // uniform with variance 1/fan_in
        var list = new List<(string, long[], double)> { ("embed_tokens.weight", [c.VocabSize, h], 1.0) };
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            string p = $"layers.{l}.";
            list.Add((p + "input_layernorm.weight", [h], 0.1));
            list.Add((p + "self_attn.q_proj.weight", [q, h], Init(h)));
            list.Add((p + "self_attn.k_proj.weight", [kv, h], Init(h)));
            list.Add((p + "self_attn.v_proj.weight", [kv, h], Init(h)));
            list.Add((p + "self_attn.o_proj.weight", [h, q], Init(q)));
            list.Add((p + "post_attention_layernorm.weight", [h], 0.1));
            list.Add((p + "pre_feedforward_layernorm.weight", [h], 0.1));
            list.Add((p + "mlp.gate_proj.weight", [m, h], Init(h)));
            list.Add((p + "mlp.up_proj.weight", [m, h], Init(h)));
            list.Add((p + "mlp.down_proj.weight", [h, m], Init(m)));
            list.Add((p + "post_feedforward_layernorm.weight", [h], 0.1));
        }

        list.Add(("norm.weight", [h], 0.1));
        return list;
    }
}
