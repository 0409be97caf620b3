using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SanaSprint.Inference.Checkpoints;

namespace SanaSprint.Inference.Demo;

/// <summary>Registers the embedded demo checkpoint with a host.</summary>
public static class DemoExtensions
{
    /// <summary>
    /// Makes the embedded demo checkpoint the <see cref="IDefaultCheckpoint"/>: with no <c>Inference:CheckpointPath</c>
    /// the model loads from it (and says so in <c>GeneratorInfo.IsDemo</c>). A default registered earlier is kept.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static IHostApplicationBuilder AddSanaSprintDemo(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<IDefaultCheckpoint>(EmbeddedDemoCheckpoint.Instance);
        return builder;
    }
}
