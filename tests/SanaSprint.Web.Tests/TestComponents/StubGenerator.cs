using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Tests.TestComponents;

/// <summary>An <see cref="IImageGenerator"/> for page tests: only <see cref="Info"/> matters; generating is not expected.</summary>
public sealed class StubGenerator : IImageGenerator
{
    /// <inheritdoc />
    public GeneratorInfo Info { get; set; } = new()
    {
        ModelName = "stub",
        IsDemo = false,
        SupportedModes = [GuidanceMode.Text, GuidanceMode.ControlNet, GuidanceMode.Img2Img],
    };

    /// <inheritdoc />
    public Task<IReadOnlyList<GenerationResult>> GenerateAsync(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("page tests do not generate images.");
}
