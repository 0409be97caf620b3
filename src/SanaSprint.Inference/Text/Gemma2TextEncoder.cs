using System.Diagnostics;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Text;

/// <summary>
/// The Gemma-2 encoder as a resident ONNX Runtime session: token ids and mask in, <c>last_hidden_state</c> out.
/// Thread-safe (runs are serialised by the session).
/// </summary>
public sealed class Gemma2TextEncoder : ITextEncoder, IDisposable
{
    private readonly OnnxComponentSession _session;

    /// <summary>Wraps a session over a graph built by <see cref="Gemma2Model"/>.</summary>
    /// <param name="session">The session (owned by this instance from now on).</param>
    /// <param name="config">The encoder config.</param>
    /// <param name="options">The options the graph was built with.</param>
    /// <exception cref="ArgumentException">The graph does not have the encoder's inputs and output.</exception>
    public Gemma2TextEncoder(OnnxComponentSession session, Gemma2Config config, Gemma2GraphOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(config);
        if (!session.InputNames.Contains(Gemma2Model.InputIdsName) || !session.InputNames.Contains(Gemma2Model.AttentionMaskName)
            || !session.OutputNames.Contains(Gemma2Model.OutputName))
        {
            throw new ArgumentException(
                $"The graph of '{session.Component}' has inputs [{string.Join(", ", session.InputNames)}] and outputs [{string.Join(", ", session.OutputNames)}]; " +
                $"expected {Gemma2Model.InputIdsName}, {Gemma2Model.AttentionMaskName} → {Gemma2Model.OutputName}.", nameof(session));
        }

        _session = session;
        Config = config;
        Options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>The encoder config.</summary>
    public Gemma2Config Config { get; }

    /// <summary>Width of the output (<c>hidden_size</c>, the transformer's <c>caption_channels</c>).</summary>
    public int HiddenSize => Config.HiddenSize;

    /// <summary>The graph options (attention variant, head merge).</summary>
    public Gemma2GraphOptions Options { get; }

    /// <summary>Time spent building (or finding) the graph and creating the session, when created by a <c>Load</c> method.</summary>
    public TimeSpan LoadTime { get; private init; }

    /// <summary>True when a <see cref="GraphCache"/> already held the graph (no build, no weight conversion).</summary>
    public bool GraphFromCache { get; private init; }

    /// <summary>
    /// Returns the encoder over the graph cached for this <c>text_encoder/</c> folder and options, building it on first use
    /// (the cache key hashes <c>config.json</c>, every weight file and the options, so a second start only loads the graph).
    /// </summary>
    /// <param name="textEncoderDirectory">Folder with <c>config.json</c> and the safetensors weights (single or sharded).</param>
    /// <param name="sessions">Creates the session on the configured execution provider.</param>
    /// <param name="cache">The graph cache.</param>
    /// <param name="options">Attention variant; <c>null</c> for <see cref="Gemma2GraphOptions.Default"/>.</param>
    /// <param name="progress">Hashing, build and weight-writing progress.</param>
    /// <param name="cancellationToken">Cancels while weights are written.</param>
    /// <exception cref="CheckpointException">Missing or inconsistent config or weights.</exception>
    public static Gemma2TextEncoder Load(string textEncoderDirectory, OnnxSessionFactory sessions, GraphCache cache,
        Gemma2GraphOptions? options = null, IProgress<GraphBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(cache);
        options ??= Gemma2GraphOptions.Default;
        long started = Stopwatch.GetTimestamp();
        var config = Gemma2Config.Load(textEncoderDirectory);
        List<string> inputs = [Path.Combine(textEncoderDirectory, "config.json")];
        using (var weights = SafetensorsCheckpoint.Open(textEncoderDirectory))
        {
            inputs.AddRange(weights.Files.Select(f => f.Path));
            if (weights.Path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) inputs.Add(weights.Path);
        }

        var graph = cache.GetOrBuild(Gemma2Model.ClassName, inputs, $"gemma2;{options.CacheText}", modelPath =>
        {
            var (builder, checkpoint, _) = Gemma2Model.BuildFromDirectory(textEncoderDirectory, options);
            using (checkpoint)
            {
                OnnxModelWriter.Save(builder, modelPath, WeightStorage.ReferenceCheckpoint, progress, Metadata(options), cancellationToken);
            }
        }, progress);
        var session = sessions.Create("text_encoder", graph.ModelPath);
        return new Gemma2TextEncoder(session, config, options) { LoadTime = Stopwatch.GetElapsedTime(started), GraphFromCache = graph.FromCache };
    }

    /// <summary>
    /// Builds the encoder graph from a <c>text_encoder/</c> folder, writes it into <paramref name="graphDirectory"/> (float32
    /// weights: referenced in place when the checkpoint is float32, converted once otherwise) and opens a session.
    /// </summary>
    /// <param name="textEncoderDirectory">Folder with <c>config.json</c> and the safetensors weights (single or sharded).</param>
    /// <param name="sessions">Creates the session on the configured execution provider.</param>
    /// <param name="graphDirectory">Folder for the graph and converted weights (created). An existing graph there is rebuilt.</param>
    /// <param name="options">Attention variant; <c>null</c> for <see cref="Gemma2GraphOptions.Default"/>.</param>
    /// <param name="progress">Build and weight-writing progress.</param>
    /// <param name="cancellationToken">Cancels while weights are written.</param>
    /// <exception cref="CheckpointException">Missing or inconsistent config or weights.</exception>
    public static Gemma2TextEncoder Load(string textEncoderDirectory, OnnxSessionFactory sessions, string graphDirectory,
        Gemma2GraphOptions? options = null,
        IProgress<GraphBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentException.ThrowIfNullOrWhiteSpace(graphDirectory);
        options ??= Gemma2GraphOptions.Default;
        long started = Stopwatch.GetTimestamp();
        string modelPath = Path.Combine(graphDirectory, $"gemma2_{options.CacheText}.onnx");
        var (graph, checkpoint, config) = Gemma2Model.BuildFromDirectory(textEncoderDirectory, options);
        using (checkpoint)
        {
            OnnxModelWriter.Save(graph, modelPath, WeightStorage.ReferenceCheckpoint, progress, Metadata(options), cancellationToken);
        }

        var session = sessions.Create("text_encoder", modelPath);
        return new Gemma2TextEncoder(session, config, options) { LoadTime = Stopwatch.GetElapsedTime(started) };
    }

    /// <summary>Runs the encoder over a padded batch.</summary>
    /// <param name="tokens">Ids and mask, [batch, L].</param>
    /// <returns><c>last_hidden_state</c>, row-major [batch, L, hidden_size].</returns>
    /// <exception cref="ArgumentException">The batch is empty.</exception>
    public float[] Encode(TokenizedBatch tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.BatchSize == 0 || tokens.SequenceLength == 0)
            throw new ArgumentException("`tokens` is empty: the encoder needs at least one row of one token.", nameof(tokens));
        long[] shape = [tokens.BatchSize, tokens.SequenceLength];
        var outputs = _session.Run(
            [
                new HostTensor(Gemma2Model.InputIdsName, tokens.InputIds, shape),
                new HostTensor(Gemma2Model.AttentionMaskName, tokens.AttentionMask, shape),
            ]);
        int index = _session.OutputNames.ToList().IndexOf(Gemma2Model.OutputName);
        return outputs[index];
    }

    private static Dictionary<string, string> Metadata(Gemma2GraphOptions options) => new()
    {
        ["sanasprint.class_name"] = Gemma2Model.ClassName,
        ["sanasprint.options"] = options.CacheText,
    };

    /// <summary>Releases the session.</summary>
    public void Dispose() => _session.Dispose();
}
