// Ported from diffusers pipeline_sana_sprint.py SanaSprintPipeline.encode_prompt @ 58eb52c (single image per prompt),
// plus an LRU cache: in the app the prompt changes rarely while people draw.
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Caching;

namespace SanaSprint.Inference.Text;

/// <summary>Runs a text encoder over padded token windows (implemented by <see cref="Gemma2TextEncoder"/>).</summary>
public interface ITextEncoder
{
    /// <summary>Width of each output position (the transformer's <c>caption_channels</c>).</summary>
    int HiddenSize { get; }

    /// <summary>Encodes a batch.</summary>
    /// <param name="tokens">[batch, L] ids and mask.</param>
    /// <returns>Row-major [batch, L, <see cref="HiddenSize"/>].</returns>
    float[] Encode(TokenizedBatch tokens);
}

/// <summary>
/// One prompt's encoding, as the transformer takes it: N selected positions (BOS + the last N−1 of the window).
/// Instances are shared by the cache: treat the arrays as read-only.
/// </summary>
/// <param name="Embeddings">Row-major [N, <paramref name="HiddenSize"/>] (padded positions included, as the reference keeps them).</param>
/// <param name="Mask">[N], 1 = real token, 0 = padding.</param>
/// <param name="InputIds">[N], the token ids at the selected positions.</param>
/// <param name="HiddenSize">caption_channels.</param>
/// <param name="EncodeTime">How long the tokenizer and encoder took when this encoding was computed.</param>
public sealed record PromptEncoding(float[] Embeddings, long[] Mask, long[] InputIds, int HiddenSize, TimeSpan EncodeTime)
{
    /// <summary>N, the number of positions.</summary>
    public int SequenceLength => Mask.Length;

    /// <summary>Number of real (unmasked) positions.</summary>
    public int TokenCount => Mask.Count(m => m != 0);
}

/// <summary>Where a <see cref="PromptEncodingResult"/> came from.</summary>
public enum PromptEncodingSource
{
    /// <summary>Served from the cache; no encoder run.</summary>
    Cache,

    /// <summary>This call ran the encoder (a cache miss).</summary>
    Encoded,

    /// <summary>Another caller was already encoding the same prompt and options; this call waited for that run.</summary>
    Shared,
}

/// <summary>The answer to one prompt.</summary>
/// <param name="Encoding">The encoding.</param>
/// <param name="Source">Cache hit, own encoder run, or a shared run.</param>
/// <param name="Elapsed">Wall time of this call for this prompt (a miss reports the encoder's time here).</param>
public sealed record PromptEncodingResult(PromptEncoding Encoding, PromptEncodingSource Source, TimeSpan Elapsed)
{
    /// <summary>True when no encoder run was needed.</summary>
    public bool CacheHit => Source == PromptEncodingSource.Cache;
}

/// <summary>
/// Prompt text → prompt embeddings [N, caption_channels] and mask [N], with a thread-safe LRU cache keyed by the prompt
/// text and <see cref="PromptEncodingOptions"/>. Concurrent callers asking for the same uncached prompt share one
/// encoder run; cache hits cost a dictionary lookup.
/// </summary>
/// <remarks>
/// Steps per miss (diffusers <c>encode_prompt</c>): 1. preprocess, prepend the instruction, tokenize
/// (<see cref="GemmaPromptTokenizer"/>); 2. run Gemma-2 over the window; 3. select BOS + the last N−1 positions of the
/// embeddings and the mask.
/// </remarks>
public sealed partial class PromptEncoder : IDisposable
{
    private readonly ITextEncoder _encoder;
    private readonly ILogger _logger;
    private readonly bool _ownsEncoder;
    private readonly Lock _gate = new();
    private readonly LruCache<PromptKey, PromptEncoding> _cache;
    private readonly Dictionary<PromptKey, Task<PromptEncoding>> _inFlight = [];
    private long _hits, _misses;

    /// <summary>Creates the service over a tokenizer and an encoder.</summary>
    /// <param name="tokenizer">The prompt tokenizer.</param>
    /// <param name="encoder">The text encoder; disposed with this service when <paramref name="ownsEncoder"/> and disposable.</param>
    /// <param name="capacity">Most encodings kept (≥ 1); each costs N × caption_channels floats (2.8 MB for 300 × 2304).</param>
    /// <param name="defaultOptions">Options of the calls that pass none; <c>null</c> for <see cref="PromptEncodingOptions.Default"/>.</param>
    /// <param name="ownsEncoder">Dispose the encoder with this service.</param>
    /// <param name="logger">Receives one entry per encoder run with its time (prompt text at Trace only).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public PromptEncoder(GemmaPromptTokenizer tokenizer, ITextEncoder encoder, int capacity = 32,
        PromptEncodingOptions? defaultOptions = null, bool ownsEncoder = false, ILogger<PromptEncoder>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        _ownsEncoder = ownsEncoder;
        _cache = new LruCache<PromptKey, PromptEncoding>(capacity);
        DefaultOptions = defaultOptions ?? PromptEncodingOptions.Default;
    }

    /// <summary>The prompt tokenizer.</summary>
    public GemmaPromptTokenizer Tokenizer { get; }

    /// <summary>Width of the embeddings (caption_channels).</summary>
    public int HiddenSize => _encoder.HiddenSize;

    /// <summary>Most encodings kept.</summary>
    public int Capacity => _cache.Capacity;

    /// <summary>Options used when a call passes none.</summary>
    public PromptEncodingOptions DefaultOptions { get; }

    /// <summary>Encodings currently cached.</summary>
    public int Count
    {
        get { return _cache.Count; }
    }

    /// <summary>Prompts served from the cache so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Prompts that ran the encoder so far.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>
    /// Loads the tokenizer and builds the Gemma-2 encoder from a SANA-Sprint pipeline folder (its <c>tokenizer/</c> and
    /// <c>text_encoder/</c> components, found through <c>model_index.json</c>).
    /// </summary>
    /// <param name="pipelineDirectory">The diffusers pipeline folder.</param>
    /// <param name="sessions">Creates the encoder's ONNX Runtime session.</param>
    /// <param name="graphDirectory">Folder for the encoder graph and converted weights.</param>
    /// <param name="graphOptions">Attention variant and head merge; <c>null</c> for the defaults.</param>
    /// <param name="capacity">Cache capacity.</param>
    /// <param name="defaultOptions">Options of calls that pass none.</param>
    /// <exception cref="CheckpointException">A component is missing or malformed (the message names it).</exception>
    public static PromptEncoder FromPipelineFolder(string pipelineDirectory, OnnxSessionFactory sessions, string graphDirectory,
        Gemma2GraphOptions? graphOptions = null, int capacity = 32, PromptEncodingOptions? defaultOptions = null)
    {
        var folder = DiffusersFolder.Open(pipelineDirectory);
        return Load(folder.ComponentPath("tokenizer"), folder.ComponentPath("text_encoder"), sessions, graphDirectory, graphOptions, capacity, defaultOptions);
    }

    /// <summary>Loads the tokenizer and builds the Gemma-2 encoder from a <c>tokenizer/</c> and a <c>text_encoder/</c> folder.</summary>
    /// <param name="tokenizerDirectory">Folder with <c>tokenizer.model</c>.</param>
    /// <param name="textEncoderDirectory">Folder with <c>config.json</c> and the safetensors weights.</param>
    /// <param name="sessions">Creates the encoder's ONNX Runtime session.</param>
    /// <param name="graphDirectory">Folder for the encoder graph and converted weights.</param>
    /// <param name="graphOptions">Attention variant and head merge; <c>null</c> for the defaults.</param>
    /// <param name="capacity">Cache capacity.</param>
    /// <param name="defaultOptions">Options of calls that pass none.</param>
    /// <exception cref="CheckpointException">Missing or malformed encoder files.</exception>
    /// <exception cref="FileNotFoundException">No <c>tokenizer.model</c>.</exception>
    public static PromptEncoder Load(string tokenizerDirectory, string textEncoderDirectory, OnnxSessionFactory sessions, string graphDirectory,
        Gemma2GraphOptions? graphOptions = null, int capacity = 32, PromptEncodingOptions? defaultOptions = null)
    {
        var tokenizer = new GemmaPromptTokenizer(GemmaTokenizer.FromDirectory(tokenizerDirectory));
        var encoder = Gemma2TextEncoder.Load(textEncoderDirectory, sessions, graphDirectory, graphOptions);
        return new PromptEncoder(tokenizer, encoder, capacity, defaultOptions, ownsEncoder: true);
    }

    /// <summary>
    /// Loads the tokenizer and the Gemma-2 encoder of a SANA-Sprint pipeline folder, taking the encoder graph from
    /// <paramref name="cache"/> (built and its weights converted only on first use).
    /// </summary>
    /// <param name="pipelineDirectory">The diffusers pipeline folder.</param>
    /// <param name="sessions">Creates the encoder's ONNX Runtime session.</param>
    /// <param name="cache">The graph cache.</param>
    /// <param name="graphOptions">Attention variant and head merge; <c>null</c> for the defaults.</param>
    /// <param name="capacity">Cache capacity (prompt encodings).</param>
    /// <param name="defaultOptions">Options of calls that pass none.</param>
    /// <exception cref="CheckpointException">A component is missing or malformed (the message names it).</exception>
    public static PromptEncoder FromPipelineFolder(string pipelineDirectory, OnnxSessionFactory sessions, GraphCache cache,
        Gemma2GraphOptions? graphOptions = null, int capacity = 32, PromptEncodingOptions? defaultOptions = null)
    {
        var folder = DiffusersFolder.Open(pipelineDirectory);
        var tokenizer = new GemmaPromptTokenizer(GemmaTokenizer.FromDirectory(folder.ComponentPath("tokenizer")));
        var encoder = Gemma2TextEncoder.Load(folder.ComponentPath("text_encoder"), sessions, cache, graphOptions);
        return new PromptEncoder(tokenizer, encoder, capacity, defaultOptions, ownsEncoder: true);
    }

    /// <summary>Encodes one prompt with <see cref="DefaultOptions"/>.</summary>
    /// <param name="prompt">The prompt as typed.</param>
    /// <param name="cancellationToken">Stops waiting; an encoder run already started still completes and is cached.</param>
    public Task<PromptEncodingResult> EncodeAsync(string prompt, CancellationToken cancellationToken = default) =>
        EncodeAsync(prompt, DefaultOptions, cancellationToken);

    /// <summary>Encodes one prompt: from the cache, by joining a run in progress, or by running the encoder on the thread pool.</summary>
    /// <param name="prompt">The prompt as typed.</param>
    /// <param name="options">Style, instruction and N.</param>
    /// <param name="cancellationToken">Stops waiting; an encoder run already started still completes and is cached.</param>
    /// <exception cref="ArgumentNullException"><paramref name="prompt"/> or <paramref name="options"/> is null.</exception>
    public async Task<PromptEncodingResult> EncodeAsync(string prompt, PromptEncodingOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        long started = Stopwatch.GetTimestamp();
        var key = new PromptKey(prompt, options);
        TaskCompletionSource<PromptEncoding>? owned = null;
        Task<PromptEncoding> pending;
        lock (_gate)
        {
            if (TryGetCached(key, out var cached))
                return new PromptEncodingResult(cached, PromptEncodingSource.Cache, Stopwatch.GetElapsedTime(started));
            if (!_inFlight.TryGetValue(key, out pending!))
            {
                owned = new TaskCompletionSource<PromptEncoding>(TaskCreationOptions.RunContinuationsAsynchronously);
                pending = owned.Task;
                _inFlight[key] = pending;
            }
        }

        if (owned is not null)
        {
            // The run is not tied to this caller's token: others may be waiting on it.
            _ = Task.Run(() => Complete([key], [owned], options), CancellationToken.None);
        }

        var encoding = await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new PromptEncodingResult(encoding, owned is null ? PromptEncodingSource.Shared : PromptEncodingSource.Encoded, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Encodes a batch synchronously: cache hits are served, prompts already being encoded are waited for, and the
    /// remaining distinct prompts run through the encoder as one batch.
    /// </summary>
    /// <param name="prompts">The prompts as typed.</param>
    /// <param name="options">Style, instruction and N; <c>null</c> for <see cref="DefaultOptions"/>.</param>
    /// <returns>One result per prompt, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="prompts"/> or one of them is null.</exception>
    public IReadOnlyList<PromptEncodingResult> Encode(IReadOnlyList<string> prompts, PromptEncodingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        options ??= DefaultOptions;
        long started = Stopwatch.GetTimestamp();
        var results = new PromptEncodingResult?[prompts.Count];
        var waits = new (Task<PromptEncoding> Task, bool Owned)[prompts.Count];
        var ownKeys = new List<PromptKey>();
        var ownSources = new List<TaskCompletionSource<PromptEncoding>>();
        lock (_gate)
        {
            for (int i = 0; i < prompts.Count; i++)
            {
                var key = new PromptKey(prompts[i] ?? throw new ArgumentNullException(nameof(prompts), $"`prompts[{i}]` is null."), options);
                if (TryGetCached(key, out var cached))
                {
                    results[i] = new PromptEncodingResult(cached, PromptEncodingSource.Cache, Stopwatch.GetElapsedTime(started));
                }
                else if (_inFlight.TryGetValue(key, out var pending))
                {
                    waits[i] = (pending, ownKeys.Contains(key));
                }
                else
                {
                    var source = new TaskCompletionSource<PromptEncoding>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _inFlight[key] = source.Task;
                    ownKeys.Add(key);
                    ownSources.Add(source);
                    waits[i] = (source.Task, true);
                }
            }
        }

        if (ownKeys.Count > 0)
            Complete(ownKeys, ownSources, options);

        for (int i = 0; i < prompts.Count; i++)
        {
            if (results[i] is not null) continue;
            var encoding = waits[i].Task.GetAwaiter().GetResult();
            results[i] = new PromptEncodingResult(encoding, waits[i].Owned ? PromptEncodingSource.Encoded : PromptEncodingSource.Shared, Stopwatch.GetElapsedTime(started));
        }

        return results!;
    }

    /// <summary>Drops every cached encoding (runs in progress are unaffected).</summary>
    public void Clear()
    {
        _cache.Clear();
    }

    /// <summary>Disposes the encoder when this service owns it.</summary>
    public void Dispose()
    {
        if (_ownsEncoder && _encoder is IDisposable d) d.Dispose();
    }

    private bool TryGetCached(PromptKey key, out PromptEncoding encoding)
    {
        if (!_cache.TryGet(key, out encoding)) return false;
        Interlocked.Increment(ref _hits);
        return true;
    }

    // Runs the encoder for the given distinct keys (all with the same options) and publishes the results.
    private void Complete(List<PromptKey> keys, List<TaskCompletionSource<PromptEncoding>> sources, PromptEncodingOptions options)
    {
        PromptEncoding[] encodings;
        try
        {
            encodings = EncodeUncached([.. keys.Select(k => k.Prompt)], options);
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                foreach (var k in keys) _inFlight.Remove(k);
            }

            foreach (var s in sources) s.TrySetException(e);
            return;
        }

        lock (_gate)
        {
            for (int i = 0; i < keys.Count; i++)
            {
                _inFlight.Remove(keys[i]);
                _cache.GetOrAdd(keys[i], _ => encodings[i]);
            }
        }

        Interlocked.Add(ref _misses, keys.Count);
        Log.Encoded(_logger, keys.Count, encodings[0].SequenceLength, encodings[0].EncodeTime.TotalMilliseconds, Count, Capacity);
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            foreach (var k in keys) Log.EncodedPrompt(_logger, k.Prompt);
        }

        for (int i = 0; i < keys.Count; i++) sources[i].TrySetResult(encodings[i]);
    }

    private PromptEncoding[] EncodeUncached(string[] prompts, PromptEncodingOptions options)
    {
        long started = Stopwatch.GetTimestamp();

        // 1. Tokenize: preprocess, instruction, BOS, right padding to max_length_all
        var tokens = Tokenizer.Tokenize(prompts, options);
        int length = tokens.Tokens.SequenceLength, hidden = _encoder.HiddenSize, n = tokens.SelectIndex.Length;

        // 2. Gemma-2 last hidden state over the whole window
        var states = _encoder.Encode(tokens.Tokens);
        if (states.Length != (long)prompts.Length * length * hidden)
            throw new InvalidOperationException($"The text encoder returned {states.Length} values; expected {prompts.Length} × {length} × {hidden}.");

        // 3. Selection [0] + [L−N+1 … L−1], for embeddings and mask alike
        var elapsed = Stopwatch.GetElapsedTime(started);
        var result = new PromptEncoding[prompts.Length];
        for (int b = 0; b < prompts.Length; b++)
        {
            var embeddings = new float[n * hidden];
            for (int k = 0; k < n; k++)
                states.AsSpan((b * length + tokens.SelectIndex[k]) * hidden, hidden).CopyTo(embeddings.AsSpan(k * hidden));
            result[b] = new PromptEncoding(embeddings, tokens.SelectedMask(b), tokens.SelectedIds(b), hidden, elapsed);
        }

        return result;
    }

    private readonly record struct PromptKey(string Prompt, PromptEncodingOptions Options);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Encoded {Prompts} prompt(s) of {Tokens} positions in {Milliseconds:F0} ms (cache {Count}/{Capacity})", EventName = "PromptsEncoded")]
        public static partial void Encoded(ILogger logger, int prompts, int tokens, double milliseconds, int count, int capacity);

        [LoggerMessage(2, LogLevel.Trace, "Encoded prompt '{Prompt}'", EventName = "PromptEncoded")]
        public static partial void EncodedPrompt(ILogger logger, string prompt);
    }
}
