using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Extensions;

/// <summary>Registers the SANA-Sprint inference engine with a host.</summary>
public static class InferenceExtensions
{
    /// <summary>
    /// Binds <see cref="InferenceOptions"/> from the <c>Inference</c> section (validated at start), registers
    /// <see cref="IImageGenerator"/> as a singleton <see cref="SanaSprintPipeline"/>, and adds a hosted service that
    /// loads and warms the model in the background. A missing or corrupt checkpoint never stops the host: the
    /// generator then reports <see cref="GeneratorInfo.IsAvailable"/> = false with the reason.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static IHostApplicationBuilder AddSanaSprintInference(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<InferenceOptions>()
            .BindConfiguration(InferenceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<SanaSprintPipeline>();
        builder.Services.TryAddSingleton<IImageGenerator>(sp => sp.GetRequiredService<SanaSprintPipeline>());
        builder.Services.TryAddSingleton<IModelInfo>(sp => sp.GetRequiredService<IImageGenerator>());
        builder.Services.AddHostedService<ModelWarmupService>();
        return builder;
    }
}
