using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Extensions;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Tests.Pipeline;

public sealed class InferenceExtensionsTests
{
    [Fact]
    public async Task AMissingCheckpointLeavesTheGeneratorUnavailableWithoutStoppingTheHost()
    {
        var builder = new TestHostBuilder(new Dictionary<string, string?>
        {
            ["Inference:CheckpointPath"] = "/nonexistent/sana-sprint",
            ["Inference:Device"] = "cpu",
        });
        builder.AddSanaSprintInference();
        await using var services = builder.Services.BuildServiceProvider();
        var generator = services.GetRequiredService<IImageGenerator>();
        Assert.Same(services.GetRequiredService<SanaSprintPipeline>(), generator);
        Assert.False(generator.Info.IsAvailable); // still loading before the hosted service runs

        var hosted = services.GetServices<IHostedService>().OfType<ModelWarmupService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        await ((SanaSprintPipeline)generator).LoadAsync();
        await hosted.StopAsync(CancellationToken.None);

        Assert.False(generator.Info.IsAvailable);
        Assert.Contains("/nonexistent/sana-sprint", generator.Info.UnavailableReason);
        var ex = await Assert.ThrowsAsync<GeneratorUnavailableException>(() => generator.GenerateAsync([new GenerationRequest { Prompt = "a" }]));
        Assert.Contains("/nonexistent/sana-sprint", ex.Message);
    }

    [Fact]
    public async Task WithoutACheckpointPathOrADefaultCheckpointTheGeneratorSaysWhichSettingIsMissing()
    {
        var builder = new TestHostBuilder(new Dictionary<string, string?> { ["Inference:Device"] = "cpu" });
        builder.AddSanaSprintInference();
        await using var services = builder.Services.BuildServiceProvider();
        var pipeline = services.GetRequiredService<SanaSprintPipeline>();
        await pipeline.LoadAsync();
        Assert.False(pipeline.Info.IsAvailable);
        Assert.Contains("Inference:CheckpointPath", pipeline.Info.UnavailableReason);
    }

    [Fact]
    public void AddSanaSprintDemoMakesTheEmbeddedCheckpointTheDefaultOnce()
    {
        var builder = new TestHostBuilder(new Dictionary<string, string?>());
        builder.AddSanaSprintInference();
        builder.AddSanaSprintDemo();
        builder.AddSanaSprintDemo();
        using var services = builder.Services.BuildServiceProvider();
        Assert.Same(EmbeddedDemoCheckpoint.Instance, services.GetRequiredService<IDefaultCheckpoint>());
        Assert.Single(builder.Services, d => d.ServiceType == typeof(IDefaultCheckpoint));
        Assert.Equal(DemoCheckpoint.ModelName, EmbeddedDemoCheckpoint.Instance.ModelName);
    }

    [Fact]
    public void InvalidOptionsFailValidation()
    {
        var builder = new TestHostBuilder(new Dictionary<string, string?> { ["Inference:Device"] = "tpu" });
        builder.AddSanaSprintInference();
        using var services = builder.Services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<InferenceOptions>>().Value);
        Assert.Contains("Device", ex.Message);
    }

    /// <summary>The parts of a host builder that AddSanaSprintInference touches.</summary>
    private sealed class TestHostBuilder : IHostApplicationBuilder
    {
        private readonly ConfigurationManager _configuration = new();

        public TestHostBuilder(Dictionary<string, string?> settings)
        {
            _configuration.AddInMemoryCollection(settings);
            Services.AddSingleton<IConfiguration>(_configuration);
            Services.AddLogging();
        }

        public IDictionary<object, object> Properties { get; } = new Dictionary<object, object>();
        public IConfigurationManager Configuration => _configuration;
        public IHostEnvironment Environment { get; } = new TestEnvironment();
        public ILoggingBuilder Logging => throw new NotSupportedException();
        public IMetricsBuilder Metrics => throw new NotSupportedException();
        public IServiceCollection Services { get; } = new ServiceCollection();

        public void ConfigureContainer<TContainerBuilder>(IServiceProviderFactory<TContainerBuilder> factory, Action<TContainerBuilder>? configure = null)
            where TContainerBuilder : notnull => throw new NotSupportedException();
    }

    private sealed class TestEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";
        public string ApplicationName { get; set; } = "tests";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
