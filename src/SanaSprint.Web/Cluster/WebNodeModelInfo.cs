using Microsoft.Extensions.Options;
using SanaSprint.Inference;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Text;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// The model as a web node knows it without loading it: prompt token counts from the checkpoint's tokenizer alone (its
/// <c>tokenizer/</c> folder; no ONNX graph, no weights), and the model's description as the GPU workers publish it
/// (<see cref="Publish"/>; until then, frames are reported unavailable).
/// </summary>
/// <param name="options">Where the checkpoint is (<c>Inference:CheckpointPath</c>, else the default checkpoint).</param>
/// <param name="logger">Logger.</param>
/// <param name="defaultCheckpoint">The checkpoint used when no path is configured (the embedded demo), or null.</param>
public sealed partial class WebNodeModelInfo(IOptions<InferenceOptions> options, ILogger<WebNodeModelInfo> logger, IDefaultCheckpoint? defaultCheckpoint = null)
    : IModelInfo
{
    private readonly Lazy<GemmaPromptTokenizer?> _tokenizer = new(() => LoadTokenizer(options.Value, defaultCheckpoint, logger));
    private GeneratorInfo _info = new()
    {
        ModelName = "(GPU workers)",
        IsAvailable = false,
        UnavailableReason = "No GPU worker has described its model to this web node yet.",
    };

    /// <inheritdoc />
    public GeneratorInfo Info => Volatile.Read(ref _info);

    /// <summary>The GPU workers' description of the model (what joiners are shown).</summary>
    /// <param name="info">The description.</param>
    public void Publish(GeneratorInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        Volatile.Write(ref _info, info);
    }

    /// <inheritdoc />
    public int? CountPromptTokens(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return _tokenizer.Value?.CountPromptTokens(prompt, PromptEncodingOptions.Default);
    }

    private static GemmaPromptTokenizer? LoadTokenizer(InferenceOptions options, IDefaultCheckpoint? defaultCheckpoint, ILogger logger)
    {
        try
        {
            var pipeline = !string.IsNullOrWhiteSpace(options.CheckpointPath) ? Path.GetFullPath(options.CheckpointPath)
                : defaultCheckpoint?.EnsureCreated(options.ResolveCacheDirectory()).PipelineDirectory;
            if (pipeline is null) return null;
            var tokenizer = DiffusersFolder.Open(pipeline).ComponentPath("tokenizer");
            return Directory.Exists(tokenizer) ? new GemmaPromptTokenizer(GemmaTokenizer.FromDirectory(tokenizer)) : null;
        }
        catch (Exception ex) when (ex is IOException or CheckpointException or UnauthorizedAccessException or InvalidDataException)
        {
            // Without a tokenizer only RoomOptions.MaxPromptLength applies, as on a single node whose model has none.
            Log.TokenizerUnavailable(logger, ex);
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The checkpoint's tokenizer could not be read; prompts are checked by length only", EventName = "TokenizerUnavailable")]
        public static partial void TokenizerUnavailable(ILogger logger, Exception exception);
    }
}
