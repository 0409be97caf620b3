using System.Collections.Concurrent;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>
/// Test double for <see cref="IImageGenerator"/> (tests only; the running app always uses the real pipeline): takes
/// <see cref="Delay"/> per call, returns one flat image per request whose colour encodes the seed, records every batch,
/// reports the decoder each request asked for, throws for a request whose prompt contains <see cref="FaultMarker"/>, and counts prompt tokens with
/// <see cref="PromptTokens"/> (one token per white-space separated word unless replaced).
/// </summary>
public sealed class FakeImageGenerator : IImageGenerator
{
    /// <summary>A prompt containing this makes the run throw.</summary>
    public const string FaultMarker = "[fault]";

    private readonly ConcurrentQueue<IReadOnlyList<GenerationRequest>> _calls = new();

    /// <summary>Time per model call.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(60);

    /// <inheritdoc />
    public GeneratorInfo Info { get; set; } = new()
    {
        ModelName = "fake",
        IsDemo = true,
        DemoNotice = "Test double",
        SupportedModes = [GuidanceMode.Text, GuidanceMode.Img2Img],
    };

    /// <summary>The prompt token count <see cref="CountPromptTokens"/> reports; null makes it report "cannot count".</summary>
    public Func<string, int?>? PromptTokens { get; set; } = WordCount;

    /// <summary>One token per white-space separated word.</summary>
    public static int? WordCount(string prompt) => prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    /// <inheritdoc />
    public int? CountPromptTokens(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return PromptTokens?.Invoke(prompt);
    }

    /// <summary>Every call so far, in order.</summary>
    public IReadOnlyList<IReadOnlyList<GenerationRequest>> Calls => [.. _calls];

    /// <inheritdoc />
    public async Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default)
    {
        _calls.Enqueue([.. requests]);
        if (!Info.IsAvailable) throw new GeneratorUnavailableException(Info.UnavailableReason ?? "unavailable");
        await Task.Delay(Delay, cancellationToken);
        if (requests.FirstOrDefault(r => r.Prompt.Contains(FaultMarker, StringComparison.Ordinal)) is { } bad)
            throw new InvalidOperationException($"Injected fault for prompt '{bad.Prompt}'.");
        return [.. requests.Select(r =>
        {
            var pixels = new byte[r.Width * r.Height * 3];
            var shade = (byte)(r.Seed % 251);
            pixels.AsSpan().Fill(shade);
            return new GenerationResult(new RgbImage(r.Width, r.Height, pixels), new StageTimings
            {
                Steps = [.. Enumerable.Repeat(Delay / Math.Max(1, r.Steps), r.Steps)],
                Total = Delay,
            })
            { Decoder = r.Decoder }; // as a pipeline with a preview autoencoder configured
        })];
    }
}
