using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SanaSprint.Inference.Pipeline;
using StackExchange.Redis;

namespace SanaSprint.Web.Cluster;

/// <summary>
/// How web nodes learn the model the GPU workers serve (what joiners and the model banner see): every GPU process writes
/// its <see cref="GeneratorInfo"/> to Redis once warm and refreshes it; the entry expires a few refreshes after its last
/// writer stopped, and then web nodes say that no GPU worker is up.
/// </summary>
public static class ModelDescriptions
{
    /// <summary>How often a GPU process refreshes its description and web nodes read it.</summary>
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromSeconds(3);

    /// <summary>How long a description outlives its last refresh.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    /// <summary>What web nodes show while no GPU worker has described its model.</summary>
    public const string NoGpuWorker = "No GPU worker is up: frames resume when one joins.";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Waits for the timer's next tick; false once stopping.</summary>
    internal static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The Redis key of a cluster's model description.</summary>
    /// <param name="clusterId">The cluster.</param>
    public static RedisKey Key(string clusterId) => $"{clusterId}:model";

    /// <summary>A description as stored.</summary>
    public static string Serialize(GeneratorInfo info) => JsonSerializer.Serialize(info, Json);

    /// <summary>A stored description, or null when unreadable.</summary>
    public static GeneratorInfo? Deserialize(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            return JsonSerializer.Deserialize<GeneratorInfo>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A GPU process's side of <see cref="ModelDescriptions"/>: writes its model's description while it is warm.</summary>
/// <param name="redis">The cluster's Redis.</param>
/// <param name="generator">The model.</param>
/// <param name="options">The deployment (cluster id).</param>
/// <param name="logger">Logger.</param>
public sealed partial class ModelDescriptionPublisher(IConnectionMultiplexer redis, IImageGenerator generator, IOptions<DeploymentOptions> options,
    ILogger<ModelDescriptionPublisher> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ModelDescriptions.RefreshPeriod);
        var key = ModelDescriptions.Key(options.Value.ClusterId);
        do
        {
            var info = generator.Info;
            if (!info.IsAvailable) continue; // not warm (or broken): web nodes keep another worker's description, or none
            try
            {
                await redis.GetDatabase().StringSetAsync(key, ModelDescriptions.Serialize(info), ModelDescriptions.Lifetime);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.PublishFailed(logger, ex);
            }
        }
        while (await ModelDescriptions.NextTickAsync(timer, stoppingToken));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Publishing the model's description to Redis failed", EventName = "ModelDescriptionPublishFailed")]
        public static partial void PublishFailed(ILogger logger, Exception exception);
    }
}

/// <summary>A web node's side of <see cref="ModelDescriptions"/>: reads the GPU workers' description into <see cref="WebNodeModelInfo"/>.</summary>
/// <param name="redis">The cluster's Redis.</param>
/// <param name="model">What this node tells joiners.</param>
/// <param name="options">The deployment (cluster id).</param>
public sealed class ModelDescriptionReader(IConnectionMultiplexer redis, WebNodeModelInfo model, IOptions<DeploymentOptions> options) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ModelDescriptions.RefreshPeriod);
        var key = ModelDescriptions.Key(options.Value.ClusterId);
        do
        {
            try
            {
                var described = ModelDescriptions.Deserialize(await redis.GetDatabase().StringGetAsync(key));
                model.Publish(described ?? new GeneratorInfo { ModelName = "(GPU workers)", IsAvailable = false, UnavailableReason = ModelDescriptions.NoGpuWorker });
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis is down: keep the last description (pages and rooms keep working; /healthz says Redis is degraded).
            }
        }
        while (await ModelDescriptions.NextTickAsync(timer, stoppingToken));
    }
}
