using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Inference.Extensions;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Extensions;

namespace SanaSprint.Web.Tests.Scheduling;

/// <summary>The model warms up the frames the scheduler serves under the app's configuration.</summary>
public sealed class ServedFramesTests
{
    [Fact]
    public void ThePipelineWarmsTheConfiguredFrameSizeBatchSizeAndStepCounts()
    {
        var builder = WebApplication.CreateBuilder(ServiceDefaults.CreateOptions([]));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SchedulerOptions:Width"] = "320",
            ["SchedulerOptions:Height"] = "192",
            ["SchedulerOptions:BatchSize"] = "3",
            ["SchedulerOptions:RefineSteps"] = "3",
            ["RoomOptions:DefaultSteps"] = "1",
        });
        builder.AddSanaSprintInference();
        builder.AddApplicationServices();
        using var services = builder.Services.BuildServiceProvider();

        // Resolving the pipeline must not need the validated scheduler options (whose validation needs the model).
        var pipeline = services.GetRequiredService<SanaSprintPipeline>();

        Assert.Equal(new ServedFrames(320, 192, 3, 1, 3, FrameDecoder.Preview), pipeline.ServedFrames);
    }

    [Fact]
    public void TheRepositoryDefaultsServeTheirFrameSize()
    {
        var builder = WebApplication.CreateBuilder(ServiceDefaults.CreateOptions([]));
        builder.AddServiceDefaults();

        var served = SanaSprint.Web.Extensions.Extensions.ServedFramesOf(builder.Configuration);

        // appsettings.json: 256², batches of up to 4, live frames of 2 steps and refinements of 4.
        Assert.Equal(new ServedFrames(256, 256, 4, 2, 4, FrameDecoder.Preview), served);
    }
}
