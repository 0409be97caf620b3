using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Imaging;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// SANA-Sprint text/sketch-to-image pipeline on ONNX Runtime: 1–4 sCM steps with text, ControlNet or img2img guidance.
/// </summary>
/// <remarks>
/// <para>Ported from diffusers <c>pipelines/sana/pipeline_sana_sprint.py</c> <c>SanaSprintPipeline.__call__</c> @ 58eb52c
/// (img2img: <c>pipeline_sana_sprint_img2img.py</c>). Step numbers in <see cref="RunBatch"/> follow diffusers'.</para>
/// <para>What each guidance mode needs: <b>Text</b> — the Sprint checkpoint. <b>Img2Img</b> — the Sprint checkpoint (its
/// DC-AE encoder) and a sketch. <b>ControlNet</b> — additionally a Sana ControlNet checkpoint
/// (<see cref="InferenceOptions.ControlNetPath"/>) and a sketch.</para>
/// <para>Thread-safe: the components are loaded once (<see cref="LoadAsync"/>) and shared; prompt embeddings are cached per
/// prompt text by the components' prompt encoder (<c>Text/PromptEncoder</c>), the one prompt cache; encoded sketches per
/// sketch content by <see cref="SketchLatentCache"/>. Noise comes only from
/// the <see cref="INoiseSource"/> seam, so a seed reproduces a frame exactly. Timings are taken at the stage ends the recipe
/// reports (<see cref="GenerationRequest.StageEnded"/>, <see cref="IPipelineObserver"/>), not inside its steps.</para>
/// </remarks>
public sealed partial class SanaSprintPipeline : IImageGenerator, IDisposable
{
    private readonly InferenceOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Func<ISanaSprintComponents>? _componentFactory;
    private readonly INoiseSource _noise;
    private readonly Lock _loadGate = new();
    private readonly IDefaultCheckpoint? _defaultCheckpoint;
    private readonly SketchLatentCache _sketchLatents = new();
    private float[]? _sketchBuffer;
    private volatile StackedPrompts? _lastStack;
    private Task? _loadTask;
    private ISanaSprintComponents? _components;
    private volatile GeneratorInfo _info = new()
    {
        ModelName = "(loading)",
        IsAvailable = false,
        UnavailableReason = "The model is still loading.",
    };

    /// <summary>Creates a pipeline for the configured checkpoint (or the default one); nothing loads until <see cref="LoadAsync"/>.</summary>
    /// <param name="options">Model paths and runtime settings.</param>
    /// <param name="loggerFactory">Logger factory (optional).</param>
    /// <param name="defaultCheckpoint">The checkpoint used when <see cref="InferenceOptions.CheckpointPath"/> is not set (the embedded demo, see <c>AddSanaSprintDemo</c>); null for none.</param>
    /// <param name="servedFrames">The frames the host serves, which the load warms up; null for <see cref="InferenceOptions.WarmupSize"/>² single frames.</param>
    public SanaSprintPipeline(IOptions<InferenceOptions> options, ILoggerFactory? loggerFactory = null, IDefaultCheckpoint? defaultCheckpoint = null,
        ServedFrames? servedFrames = null)
        : this(options?.Value ?? throw new ArgumentNullException(nameof(options)), null, null, loggerFactory, servedFrames)
    {
        _defaultCheckpoint = defaultCheckpoint;
    }

    /// <summary>Creates a pipeline over given components (tests, benchmarks, golden verification).</summary>
    /// <param name="options">Settings (used for logging and warm-up only).</param>
    /// <param name="componentFactory">Creates the components on load; null loads from <paramref name="options"/>.</param>
    /// <param name="noise">The noise seam; defaults to <see cref="SeededNoiseSource"/>.</param>
    /// <param name="loggerFactory">Logger factory (optional).</param>
    /// <param name="servedFrames">The frames the host serves, which the load warms up; null for <see cref="InferenceOptions.WarmupSize"/>² single frames.</param>
    public SanaSprintPipeline(InferenceOptions options, Func<ISanaSprintComponents>? componentFactory, INoiseSource? noise = null, ILoggerFactory? loggerFactory = null,
        ServedFrames? servedFrames = null)
    {
        ServedFrames = servedFrames;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _componentFactory = componentFactory;
        _noise = noise ?? SeededNoiseSource.Instance;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<SanaSprintPipeline>();
    }

    /// <inheritdoc />
    public GeneratorInfo Info => _info;

    /// <summary>Why the load failed when <c>Inference:Device = cuda</c> and CUDA cannot run (null otherwise): the host stops on it.</summary>
    public ProviderFailure? ProviderFailure { get; private set; }

    /// <summary>The frames the host serves, which the load warms up (null: <see cref="InferenceOptions.WarmupSize"/>² single frames).</summary>
    public ServedFrames? ServedFrames { get; }

    /// <summary>The batch kinds the load's warm-up ran, in order (empty until it has run, or when it is disabled).</summary>
    public IReadOnlyList<FrameSignature> WarmedUp { get; private set; } = [];

    /// <summary>The loaded components (null until loaded).</summary>
    public ISanaSprintComponents? Components => _components;

    /// <summary>
    /// Loads (once) the checkpoint — building or reusing the cached graphs — creates the sessions and warms them up.
    /// Failures do not throw: they leave <see cref="Info"/> unavailable with the reason.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the load itself continues for other callers).</param>
    /// <returns>A task that completes when loading has finished or failed.</returns>
    public Task LoadAsync(CancellationToken cancellationToken = default)
    {
        lock (_loadGate)
            _loadTask ??= Task.Run(LoadCore, CancellationToken.None);
        return _loadTask.WaitAsync(cancellationToken);
    }

    private void LoadCore()
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var loaded = _componentFactory is not null
                ? new LoadedModel(_componentFactory(), DefaultCheckpoint: null)
                : SanaSprintLoader.Load(_options, _loggerFactory, _defaultCheckpoint);
            _components = loaded.Components;
            var mi = loaded.Components.Info;
            var modes = new List<GuidanceMode> { GuidanceMode.Text };
            if (mi.HasEncoder) modes.Add(GuidanceMode.Img2Img);
            if (mi.HasEncoder && mi.HasControlNet) modes.Add(GuidanceMode.ControlNet);
            _info = new GeneratorInfo
            {
                ModelName = mi.ModelName,
                IsDemo = loaded.DefaultCheckpoint is not null,
                DemoNotice = loaded.DefaultCheckpoint?.Notice,
                IsAvailable = true,
                SupportedModes = modes,
                Provider = loaded.Components.Provider,
                ProviderNote = loaded.ProviderNote,
                VaeScaleFactor = mi.VaeScaleFactor,
                Precision = mi.Precision,
            };
            Log.Loaded(_logger, mi.ModelName, loaded.Components.Provider, Stopwatch.GetElapsedTime(started).TotalSeconds);
            Warmup();
        }
        catch (Exception ex)
        {
            _components?.Dispose();
            _components = null;
            // A missing or corrupt checkpoint is an expected condition with a complete message; anything else keeps its stack.
            if (ex is GeneratorUnavailableException) SetUnavailable(ex.Message);
            else if (ex is ExecutionProviderUnavailableException provider) SetUnavailable(ex.Message, providerFailure: provider.Failure);
            else SetUnavailable($"Loading the model failed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Runs every served batch kind once (<see cref="ServedFrames.Signatures"/>: the host's frames, else
    /// <see cref="InferenceOptions.WarmupSize"/>² single frames; on the CPU provider batches of one only) through
    /// <see cref="Generate"/>, the serving path, so each component meets each of its served input shapes before the first
    /// real frame; then forgets the warm-up's sketches.
    /// </summary>
    private void Warmup()
    {
        if (_options.WarmupSize <= 0) return;
        var c = _components!;
        int f = c.Info.VaeScaleFactor;
        var served = ServedFrames ?? ServedFrames.Square(Math.Max(f, _options.WarmupSize / f * f));
        var signatures = served.Signatures(_info.SupportedModes).ToList();
        // The CPU provider captures nothing per shape: one frame per mode and frame kind loads the weights and plans the
        // memory, while every batch size would cost minutes with a full-size model. CUDA warms every served shape.
        if (!string.Equals(c.Provider, "CUDA", StringComparison.OrdinalIgnoreCase)) signatures.RemoveAll(s => s.Batch > 1);
        // Without a host's description, a loaded preview autoencoder is warmed beside the DC-AE, as live frames ask for it.
        if (ServedFrames is null && c is PreviewAutoencoderComponents) signatures.AddRange(signatures.Select(s => s with { Decoder = FrameDecoder.Preview }).ToList());
        var started = Stopwatch.GetTimestamp();
        var done = new List<FrameSignature>(signatures.Count);
        int sketches = 0;
        foreach (var signature in signatures)
        {
            var requests = new GenerationRequest[signature.Batch];
            for (int b = 0; b < requests.Length; b++)
            {
                requests[b] = new GenerationRequest
                {
                    Prompt = "warm-up",
                    Width = signature.Width,
                    Height = signature.Height,
                    Steps = signature.Steps,
                    Seed = b,
                    Mode = signature.Mode,
                    Decoder = signature.Decoder,
                    // A new sketch for every request, so that the encoder runs at every batch size rather than hitting the cache.
                    Sketch = signature.Mode == GuidanceMode.Text ? null : WarmupSketch(signature.Width, signature.Height, sketches++),
                    Embedding = c.Info.HasTextEncoder ? null : new PromptEmbedding(new float[c.Info.CaptionChannels], [1], 1, c.Info.CaptionChannels),
                };
            }

            try
            {
                Generate(requests, CancellationToken.None, null);
            }
            catch (ArgumentException ex)
            {
                // A served frame the model cannot make (e.g. a size that is no multiple of its scale factor) fails when served, with this message.
                Log.WarmupSkipped(_logger, signature.ToString(), ex.Message);
                continue;
            }

            done.Add(signature);
        }

        _sketchLatents.Clear();
        WarmedUp = done;
        Log.WarmedUp(_logger, done.Count, served.Width, served.Height, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>A white canvas with one dark diagonal stroke, its first pixels set from <paramref name="index"/> so each is a distinct sketch.</summary>
    private static RgbImage WarmupSketch(int width, int height, int index)
    {
        var pixels = new byte[width * height * 3];
        Array.Fill(pixels, (byte)255);
        for (int y = 0; y < height; y++)
        {
            int x = (int)((long)y * width / height);
            pixels.AsSpan((y * width + x) * 3, 3).Clear();
        }

        BitConverter.TryWriteBytes(pixels, index);
        return new RgbImage(width, height, pixels);
    }

    private void SetUnavailable(string reason, Exception? ex = null, ProviderFailure? providerFailure = null)
    {
        ProviderFailure = providerFailure;
        _info = new GeneratorInfo { ModelName = "(none)", IsAvailable = false, UnavailableReason = reason, Provider = providerFailure is null ? "CPU" : "CUDA", ProviderNote = providerFailure?.ToString() };
        Log.Unavailable(_logger, reason, ex);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0) throw new ArgumentException("`requests` must contain at least one request.", nameof(requests));
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        var components = _components;
        if (components is null) throw new GeneratorUnavailableException(_info.UnavailableReason ?? "The model is unavailable.");
        return await Task.Run(() => Generate(requests, cancellationToken, null), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Counts with the loaded prompt encoder's tokenizer and options; <c>null</c> until the model has loaded, or when the checkpoint has no text encoder.</remarks>
    public int? CountPromptTokens(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return _components?.CountPromptTokens(prompt);
    }

    /// <summary>Synchronous generation with an optional trace (golden verification) and observer (benchmarks).</summary>
    /// <param name="requests">The requests.</param>
    /// <param name="cancellationToken">Checked between stages.</param>
    /// <param name="trace">Receives intermediate tensors.</param>
    /// <param name="observer">Told when each batch starts and each of its stages ends.</param>
    /// <returns>One result per request, in order.</returns>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken, IPipelineTrace? trace,
        IPipelineObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0) throw new ArgumentException("`requests` must contain at least one request.", nameof(requests));
        if (_components is null)
        {
            LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
            if (_components is null) throw new GeneratorUnavailableException(_info.UnavailableReason ?? "The model is unavailable.");
        }

        var info = _components.Info;
        // 1. Check inputs (all of them, before any work).
        for (int i = 0; i < requests.Count; i++) CheckInputs(requests[i], i, info);

        long started = Stopwatch.GetTimestamp();
        var results = new GenerationResult[requests.Count];
        // Requests sharing resolution, step count, ControlNet use and decoder run as one batch per component.
        var groups = requests.Select((r, i) => (r, i)).GroupBy(x => (x.r.Width, x.r.Height, x.r.Steps, Control: x.r.Mode == GuidanceMode.ControlNet, x.r.Decoder));
        foreach (var group in groups)
        {
            var items = group.ToList();
            var batch = RunBatch(items.Select(x => x.r).ToList(), started, cancellationToken, trace, observer);
            for (int k = 0; k < items.Count; k++) results[items[k].i] = batch[k];
        }

        return results;
    }

    /// <summary>Validates one request against the loaded model; messages name the argument.</summary>
    private static void CheckInputs(GenerationRequest r, int index, SanaSprintModelInfo info)
    {
        string at = $"requests[{index}]";
        if (r is null) throw new ArgumentNullException($"{at}", $"{at} is null.");
        if (r.Steps is < 1 or > 4) throw new ArgumentException($"{at}: `steps` must be 1–4 but is {r.Steps}.");
        int f = info.VaeScaleFactor;
        if (r.Width <= 0 || r.Height <= 0 || r.Width % f != 0 || r.Height % f != 0)
            throw new ArgumentException($"{at}: `height` and `width` have to be positive and divisible by {f} but are {r.Height} and {r.Width}.");
        if (r.Width > 4096 || r.Height > 4096)
            throw new ArgumentException($"{at}: `height` and `width` must be at most 4096 but are {r.Height} and {r.Width}.");
        if (!float.IsFinite(r.GuidanceScale)) throw new ArgumentException($"{at}: `guidance_scale` must be finite but is {r.GuidanceScale}.");
        if (!(r.Strength >= 0 && r.Strength <= 1)) throw new ArgumentException($"{at}: `strength` must be in [0, 1] but is {r.Strength}.");
        if (!float.IsFinite(r.ControlScale)) throw new ArgumentException($"{at}: `control_scale` must be finite but is {r.ControlScale}.");
        if (r.Mode is GuidanceMode.ControlNet or GuidanceMode.Img2Img)
        {
            if (r.Sketch is null) throw new ArgumentException($"{at}: `sketch` is required in {r.Mode} mode.");
            r.Sketch.Validate();
            if (!info.HasEncoder) throw new ArgumentException($"{at}: {r.Mode} mode needs the DC-AE encoder, which this checkpoint lacks.");
        }

        if (r.Mode == GuidanceMode.ControlNet && !info.HasControlNet)
            throw new ArgumentException($"{at}: ControlNet mode needs a ControlNet checkpoint (Inference:ControlNetPath / --controlnet).");
        if (r.Embedding is { } e)
        {
            if (e.Channels != info.CaptionChannels)
                throw new ArgumentException($"{at}: `embedding` has {e.Channels} channels; the transformer expects caption_channels = {info.CaptionChannels}.");
            if (e.Tokens < 1 || e.Embeddings.Length != (long)e.Tokens * e.Channels || e.Mask.Length != e.Tokens)
                throw new ArgumentException($"{at}: `embedding` holds {e.Embeddings.Length} values and a {e.Mask.Length}-entry mask; expected {e.Tokens}×{e.Channels} and {e.Tokens}.");
        }
        else
        {
            ArgumentNullException.ThrowIfNull(r.Prompt, $"{at}.Prompt");
            if (!info.HasTextEncoder) throw new ArgumentException($"{at}: this checkpoint has no text encoder, so `embedding` must be given.");
        }
    }

    /// <summary>Runs one batch of requests that share resolution and step count (diffusers' <c>__call__</c> from step 3 on).</summary>
    private GenerationResult[] RunBatch(IReadOnlyList<GenerationRequest> requests, long callStarted, CancellationToken ct, IPipelineTrace? trace, IPipelineObserver? observer)
    {
        var c = _components!;
        var decoder = DecoderFor(c, requests[0]);
        var info = c.Info;
        int batch = requests.Count;
        int width = requests[0].Width, height = requests[0].Height, steps = requests[0].Steps;
        int f = info.VaeScaleFactor, h = height / f, w = width / f;
        int n = info.LatentChannels * h * w;
        float sigma = info.Scheduler.SigmaData;
        var stages = new StageClock(requests, observer, steps);

        // 3. Encode input prompt (the prompt encoder caches per prompt text).
        ct.ThrowIfCancellationRequested();
        var (promptEmbeds, promptMask, tokens) = EncodePrompt(requests, info.CaptionChannels);
        stages.Ended(GenerationStage.Text);

        // 4. Prepare timesteps: one schedule per sample (img2img scales it by strength).
        var schedulers = PrepareTimesteps(requests, info.Scheduler, steps);

        // 5. Prepare latents: σ_d·z, or for img2img cos(s₀)·(E(sketch)·scaling·σ_d) + sin(s₀)·σ_d·z.
        ct.ThrowIfCancellationRequested();
        var latents = PrepareLatents(requests, schedulers, width, height, n);

        // ControlNet: sketch → scribble map → DC-AE encoder × scaling_factor (cached per sketch).
        float[]? controlLatent = null, controlScale = null;
        if (requests[0].Mode == GuidanceMode.ControlNet)
        {
            controlLatent = EncodeImages(requests, width, height, control: true);
            controlScale = requests.Select(r => r.ControlScale).ToArray();
        }

        stages.Ended(GenerationStage.Prepare);

        // 6. Guidance: guidance_scale × guidance_embeds_scale.
        var guidance = requests.Select(r => ScmScheduler.EmbeddedGuidance(r.GuidanceScale, info.GuidanceEmbedsScale)).ToArray();

        // 7. Denoising loop.
        var modelInput = new float[batch * n];
        var modelOutput = new float[batch * n];
        var denoised = new float[batch * n];
        var next = new float[batch * n];
        var stepNoise = new float[n];
        var scmTimestep = new float[batch];
        for (int i = 0; i < steps; i++)
        {
            ct.ThrowIfCancellationRequested();
            for (int b = 0; b < batch; b++)
            {
                scmTimestep[b] = ScmScheduler.ScmTimestep(schedulers[b].Timesteps[i]);
                schedulers[b].ScaleModelInput(latents.AsSpan(b * n, n), i, modelInput.AsSpan(b * n, n));
            }

            if (trace is not null)
            {
                trace.Record($"step{i}.hidden_states", modelInput);
                trace.Record($"step{i}.timestep", scmTimestep);
                trace.Record($"step{i}.guidance", guidance);
            }

            var call = new TransformerCall(modelInput, batch, h, w, scmTimestep, guidance, promptEmbeds, tokens, promptMask, null);
            // ControlNet: its residuals go from its outputs straight into the transformer's inputs (on the device).
            var flow = controlLatent is not null
                ? c.ControlledTransformer(new ControlNetCall(call, controlLatent, controlScale!))
                : c.Transformer(call);
            trace?.Record($"step{i}.transformer_out", flow);

            for (int b = 0; b < batch; b++)
            {
                var range = new Range(b * n, (b + 1) * n);
                schedulers[b].ConvertModelOutput(modelInput.AsSpan(range), flow.AsSpan(range), i, modelOutput.AsSpan(range));
                // At t = 0 (the last step) sin(t)·σ_d·noise is zero and the next sample is never used: no draw.
                if (schedulers[b].Timesteps[i + 1] == 0f) stepNoise.AsSpan().Clear();
                else _noise.Fill(new NoiseDraw(requests[b].Seed, b, i + 1), stepNoise);
                schedulers[b].Step(modelOutput.AsSpan(range), i, latents.AsSpan(range), stepNoise, next.AsSpan(range), denoised.AsSpan(range));
            }

            (latents, next) = (next, latents);
            stages.Ended(GenerationStage.Step, i);
        }

        // 8. Decode the last denoised sample: denoised / σ_d / scaling_factor.
        ct.ThrowIfCancellationRequested();
        if (trace is not null)
        {
            var latentsOut = new float[denoised.Length];
            for (int i = 0; i < denoised.Length; i++) latentsOut[i] = denoised[i] / sigma;
            trace.Record("latents", latentsOut);
        }

        var decoderInput = new float[batch * n];
        ScmScheduler.DecoderInput(denoised, sigma, info.ScalingFactor, decoderInput);
        trace?.Record("vae_decode_input", decoderInput);
        int plane = 3 * width * height;
        var images = new RgbImage[batch];
        if (trace is null && decoder == FrameDecoder.Full)
        {
            // 9. The decoder emits the frame's RGB bytes (the post-process runs on the device): only they come back.
            DecodeToImages(c, decoderInput, batch, h, w, width, height, images);
            stages.Ended(GenerationStage.Decode);
            var byteTimings = stages.ToTimings(callStarted);
            return images.Select(img => new GenerationResult(img, byteTimings) { Decoder = decoder }).ToArray();
        }

        // The decoded batch (12 MB per 1024² image) is a pooled buffer: no large-object allocation per frame.
        var pooled = ArrayPool<float>.Shared.Rent(batch * plane);
        try
        {
            var decoded = pooled.AsMemory(0, batch * plane);
            DecodeLatents(c, decoder, decoderInput, batch, h, w, decoded);
            if (trace is not null)
            {
                trace.Record("vae_decode_output", decoded.ToArray());
                var unit = new float[batch * plane];
                for (int b = 0; b < batch; b++) ImageProcessor.PostprocessToUnitHwc(decoded.Span.Slice(b * plane, plane), width, height, unit.AsSpan(b * plane, plane));
                trace.Record("image", unit);
            }

            // 9. Postprocess.
            for (int b = 0; b < batch; b++) images[b] = ImageProcessor.Postprocess(decoded.Span.Slice(b * plane, plane), width, height);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pooled);
        }

        stages.Ended(GenerationStage.Decode);
        var timings = stages.ToTimings(callStarted);
        return images.Select(img => new GenerationResult(img, timings) { Decoder = decoder }).ToArray();
    }

    /// <summary>Decodes the batch to one RGB byte array per image (one image decodes straight into its array).</summary>
    private static void DecodeToImages(ISanaSprintComponents c, float[] decoderInput, int batch, int h, int w, int width, int height, RgbImage[] images)
    {
        int plane = 3 * width * height;
        if (batch == 1)
        {
            // Every byte is written by the decoder, so the (large-object) pixel array need not be zeroed first.
            var pixels = GC.AllocateUninitializedArray<byte>(plane);
            c.DecodeToImage(decoderInput, 1, h, w, pixels);
            images[0] = new RgbImage(width, height, pixels);
            return;
        }

        var pooled = ArrayPool<byte>.Shared.Rent(batch * plane);
        try
        {
            c.DecodeToImage(decoderInput, batch, h, w, pooled.AsMemory(0, batch * plane));
            for (int b = 0; b < batch; b++) images[b] = new RgbImage(width, height, pooled.AsSpan(b * plane, plane).ToArray());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(pooled);
        }
    }

    /// <summary>
    /// The batch's prompt embeddings as [B, L, C] with L the longest. One request with an encoded prompt feeds the prompt
    /// encoder's cached arrays (never written to): no per-frame copy, and on CUDA the static input stays on the device from
    /// frame to frame. A batch of encoded prompts reuses the previous batch's stacked arrays when it holds the same
    /// prompts in the same order, for the same reason (a batch of two 1024² 0.6B frames would otherwise copy 2 × 2.8 MB
    /// of embeddings to each of the transformer and the ControlNet per frame). A caller's embedding is copied (the caller
    /// may reuse it).
    /// </summary>
    private (float[] Embeds, long[] Mask, int Tokens) EncodePrompt(IReadOnlyList<GenerationRequest> requests, int channels)
    {
        var prompts = requests.Where(r => r.Embedding is null).Select(r => r.Prompt).Distinct(StringComparer.Ordinal).ToList();
        var encoded = prompts.Count > 0 ? _components!.EncodePrompts(prompts) : [];
        var embeddings = requests.Select(r => r.Embedding ?? encoded[prompts.IndexOf(r.Prompt)]).ToList();
        if (requests.Count == 1 && requests[0].Embedding is null) return (embeddings[0].Embeddings, embeddings[0].Mask, embeddings[0].Tokens);
        if (requests.Any(r => r.Embedding is not null)) return StackEmbeddings(embeddings, channels);

        var sources = embeddings.Select(e => e.Embeddings).ToArray();
        if (_lastStack is { } last && last.Sources.Length == sources.Length && last.Sources.Zip(sources).All(p => ReferenceEquals(p.First, p.Second)))
            return last.Stacked;
        var stacked = StackEmbeddings(embeddings, channels);
        _lastStack = new StackedPrompts(sources, stacked);
        return stacked;
    }

    /// <summary>The last stacked batch of encoded prompts and the prompt encoder's arrays it was stacked from.</summary>
    private sealed record StackedPrompts(float[][] Sources, (float[] Embeds, long[] Mask, int Tokens) Stacked);

    /// <summary>One scheduler per sample: the text-to-image schedule, or for img2img that schedule scaled by the strength.</summary>
    private static ScmScheduler[] PrepareTimesteps(IReadOnlyList<GenerationRequest> requests, ScmSchedulerConfig config, int steps)
    {
        var shared = new ScmScheduler(config);
        var baseTimesteps = shared.SetTimesteps(steps);
        var schedulers = new ScmScheduler[requests.Count];
        for (int b = 0; b < requests.Count; b++)
        {
            if (requests[b].Mode != GuidanceMode.Img2Img)
            {
                schedulers[b] = shared;
                continue;
            }

            schedulers[b] = new ScmScheduler(config);
            schedulers[b].SetTimesteps(steps, timesteps: ScmScheduler.ScaleTimestepsByStrength(baseTimesteps, requests[b].Strength));
        }

        return schedulers;
    }

    /// <summary>The initial latents of the batch, [B, C, h, w] (step 5).</summary>
    private float[] PrepareLatents(IReadOnlyList<GenerationRequest> requests, ScmScheduler[] schedulers, int width, int height, int n)
    {
        var info = _components!.Info;
        float sigma = info.Scheduler.SigmaData;
        int batch = requests.Count;
        var latents = new float[batch * n];
        for (int b = 0; b < batch; b++) _noise.Fill(new NoiseDraw(requests[b].Seed, b, 0), latents.AsSpan(b * n, n));
        var img2img = Enumerable.Range(0, batch).Where(b => requests[b].Mode == GuidanceMode.Img2Img && requests[b].Strength < 1f).ToList();
        float[]? sketchLatents = img2img.Count > 0 ? EncodeImages(img2img.Select(b => requests[b]).ToList(), width, height, control: false) : null;
        for (int b = 0; b < batch; b++)
        {
            var x = latents.AsSpan(b * n, n);
            int k = img2img.IndexOf(b);
            if (k < 0)
            {
                for (int i = 0; i < n; i++) x[i] *= sigma;
                continue;
            }

            float s0 = schedulers[b].Timesteps[0];
            float cos = (float)Math.Cos(s0), sinSigma = (float)Math.Sin(s0) * sigma;
            var image = sketchLatents.AsSpan(k * n, n);
            float scale = info.ScalingFactor * sigma;
            for (int i = 0; i < n; i++) x[i] = cos * (image[i] * scale) + sinSigma * x[i];
        }

        return latents;
    }

    /// <summary>
    /// Sketches → DC-AE encoder input (the scribble map for ControlNet, the image itself for img2img) → latents, raw for
    /// img2img and × scaling_factor for ControlNet. Each sketch's latent comes from <see cref="SketchLatentCache"/> when the
    /// same pixels were encoded for the same use before (a refinement, a prompt or settings change): only the others are
    /// encoded, as one batch. The result must not be written (for one request it is the cached array itself).
    /// </summary>
    private float[] EncodeImages(IReadOnlyList<GenerationRequest> requests, int width, int height, bool control)
    {
        var c = _components!;
        var encoder = control ? DecoderFor(c, requests[0]) : FrameDecoder.Full;
        var keys = new SketchLatentCache.Key[requests.Count];
        Parallel.For(0, requests.Count, k => keys[k] = SketchLatentCache.KeyOf(requests[k].Sketch!, width, height, control, encoder));
        var latents = new float[requests.Count][];
        var missing = new List<int>();
        for (int k = 0; k < requests.Count; k++)
        {
            if (_sketchLatents.TryGet(keys[k], out var cached)) latents[k] = cached;
            else if (!missing.Any(m => keys[m] == keys[k])) missing.Add(k);
        }

        if (missing.Count > 0)
        {
            var encoded = EncodeSketches(missing.Select(k => requests[k]).ToList(), width, height, control, encoder);
            int n = encoded.Length / missing.Count;
            for (int m = 0; m < missing.Count; m++)
            {
                var latent = encoded.AsSpan(m * n, n).ToArray();
                if (control) for (int i = 0; i < n; i++) latent[i] *= c.Info.ScalingFactor;
                _sketchLatents.Set(keys[missing[m]], latent);
                latents[missing[m]] = latent;
            }

            // Duplicates of an encoded sketch within this batch take its latent.
            for (int k = 0; k < requests.Count; k++) latents[k] ??= latents[missing.First(m => keys[m] == keys[k])];
        }

        if (requests.Count == 1) return latents[0];
        int size = latents[0].Length;
        var stacked = new float[requests.Count * size];
        for (int k = 0; k < requests.Count; k++) latents[k].CopyTo(stacked, k * size);
        return stacked;
    }

    /// <summary>Runs the encoder on the sketches of <paramref name="requests"/>: raw latents, [B, C, h, w].</summary>
    private float[] EncodeSketches(IReadOnlyList<GenerationRequest> requests, int width, int height, bool control, FrameDecoder encoder)
    {
        int plane = 3 * width * height;
        // The encoder input (0.8 MB per 256² sketch) is reused from the previous call of the same size: no large-object
        // allocation, and so fewer full garbage collections, per sketch frame. Concurrent callers allocate their own.
        var images = Interlocked.Exchange(ref _sketchBuffer, null) is { } reused && reused.Length == requests.Count * plane
            ? reused
            : new float[requests.Count * plane];
        Parallel.For(0, requests.Count, k =>
        {
            var dst = images.AsSpan(k * plane, plane);
            if (control) ScribbleMap.ControlImage(requests[k].Sketch!, width, height, dst);
            else ImageProcessor.Preprocess(requests[k].Sketch!, width, height, dst);
        });
        var latents = EncodeImages(_components!, encoder, images, requests.Count, height, width);
        _sketchBuffer = images;
        return latents;
    }

    /// <summary>Stacks embeddings into [B, L, C] with L the longest; shorter ones are padded with masked zero tokens.</summary>
    private static (float[] Embeds, long[] Mask, int Tokens) StackEmbeddings(IReadOnlyList<PromptEmbedding> embeddings, int channels)
    {
        int tokens = embeddings.Max(e => e.Tokens);
        var embeds = new float[embeddings.Count * tokens * channels];
        var mask = new long[embeddings.Count * tokens];
        for (int b = 0; b < embeddings.Count; b++)
        {
            var e = embeddings[b];
            e.Embeddings.AsSpan().CopyTo(embeds.AsSpan(b * tokens * channels));
            e.Mask.AsSpan().CopyTo(mask.AsSpan(b * tokens));
        }

        return (embeds, mask, tokens);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _components?.Dispose();
        _components = null;
    }

    /// <summary>
    /// The stage ends of one batch: tells the observer and each request's <see cref="GenerationRequest.StageEnded"/>, and keeps
    /// the wall time of each stage for <see cref="StageTimings"/> (time spent in those callbacks is in no stage).
    /// </summary>
    private sealed class StageClock
    {
        private readonly IReadOnlyList<GenerationRequest> _requests;
        private readonly IPipelineObserver? _observer;
        private readonly TimeSpan[] _steps;
        private TimeSpan _text, _prepare, _decode;
        private long _last;

        public StageClock(IReadOnlyList<GenerationRequest> requests, IPipelineObserver? observer, int steps)
        {
            _requests = requests;
            _observer = observer;
            _steps = new TimeSpan[steps];
            observer?.BatchStarted(requests.Count);
            _last = Stopwatch.GetTimestamp();
        }

        public void Ended(GenerationStage stage, int step = 0)
        {
            var elapsed = Stopwatch.GetElapsedTime(_last);
            switch (stage)
            {
                case GenerationStage.Text: _text = elapsed; break;
                case GenerationStage.Prepare: _prepare = elapsed; break;
                case GenerationStage.Step: _steps[step] = elapsed; break;
                default: _decode = elapsed; break;
            }

            _observer?.StageEnded(stage, step);
            for (int b = 0; b < _requests.Count; b++) _requests[b].StageEnded?.Invoke(stage, step);
            _last = Stopwatch.GetTimestamp();
        }

        public StageTimings ToTimings(long callStarted) => new()
        {
            Text = _text,
            ControlEncode = _prepare,
            Steps = _steps,
            Decode = _decode,
            Total = Stopwatch.GetElapsedTime(callStarted),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Generator unavailable: {Reason}", EventName = "GeneratorUnavailable")]
        public static partial void Unavailable(ILogger logger, string reason, Exception? exception);

        [LoggerMessage(2, LogLevel.Information, "Model '{ModelName}' loaded on {Provider} in {Seconds:F1} s", EventName = "ModelLoaded")]
        public static partial void Loaded(ILogger logger, string modelName, string provider, double seconds);

        [LoggerMessage(3, LogLevel.Information, "Warm-up of {Count} served batch kinds at {Width}x{Height} took {Milliseconds:F0} ms", EventName = "ModelWarmedUp")]
        public static partial void WarmedUp(ILogger logger, int count, int width, int height, double milliseconds);

        [LoggerMessage(4, LogLevel.Warning, "Warm-up skipped {Signature}: {Reason}", EventName = "WarmupSkipped")]
        public static partial void WarmupSkipped(ILogger logger, string signature, string reason);
    }
}
