using System.Text.Json;
using System.Text.Json.Serialization;

namespace SanaSprint.Inference.Sampling;

/// <summary>
/// <c>scheduler/scheduler_config.json</c> of a SANA-Sprint pipeline (diffusers <c>SCMScheduler</c> config; JSON names are
/// diffusers' argument names).
/// </summary>
public sealed record ScmSchedulerConfig
{
    /// <summary><c>_class_name</c>: must be <c>SCMScheduler</c>.</summary>
    [JsonPropertyName("_class_name")]
    public string ClassName { get; init; } = "SCMScheduler";

    /// <summary><c>num_train_timesteps</c> (<c>int</c>, defaults to <c>1000</c>): unused in sampling.</summary>
    [JsonPropertyName("num_train_timesteps")]
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary><c>prediction_type</c> (<c>str</c>, defaults to <c>"trigflow"</c>): only TrigFlow is supported.</summary>
    [JsonPropertyName("prediction_type")]
    public string PredictionType { get; init; } = "trigflow";

    /// <summary><c>sigma_data</c> (<c>float</c>, defaults to <c>0.5</c>): standard deviation of the data distribution.</summary>
    [JsonPropertyName("sigma_data")]
    public float SigmaData { get; init; } = 0.5f;

    /// <summary><c>max_timesteps</c> (<c>float</c>, defaults to <c>1.57080</c>): the first TrigFlow angle.</summary>
    [JsonPropertyName("max_timesteps")]
    public float MaxTimesteps { get; init; } = ScmScheduler.DefaultMaxTimesteps;

    /// <summary><c>intermediate_timesteps</c> (<c>float</c>, defaults to <c>1.3</c>): the middle angle of a 2-step run.</summary>
    [JsonPropertyName("intermediate_timesteps")]
    public float? IntermediateTimesteps { get; init; } = ScmScheduler.DefaultIntermediateTimesteps;

    /// <summary>Reads and validates a <c>scheduler_config.json</c>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The config.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid SCMScheduler config (the message names the file).</exception>
    public static ScmSchedulerConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Scheduler config '{path}' was not found.", path);
        ScmSchedulerConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ScmSchedulerConfig>(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({ex.Message}).", ex);
        }

        if (config is null) throw new InvalidDataException($"{path}: empty scheduler config.");
        config.Validate(path);
        return config;
    }

    /// <summary>Checks the values this implementation supports.</summary>
    /// <param name="source">Where the config came from, for messages.</param>
    /// <exception cref="InvalidDataException">An unsupported value.</exception>
    public void Validate(string source = "scheduler config")
    {
        if (ClassName != "SCMScheduler")
            throw new InvalidDataException($"{source}: `_class_name` is '{ClassName}'; only 'SCMScheduler' is supported.");
        if (PredictionType != "trigflow")
            throw new InvalidDataException($"{source}: `prediction_type` is '{PredictionType}'; only 'trigflow' is supported.");
        if (!(SigmaData > 0) || !float.IsFinite(SigmaData))
            throw new InvalidDataException($"{source}: `sigma_data` must be a positive number but is {SigmaData}.");
        if (!(MaxTimesteps > 0) || MaxTimesteps > MathF.PI / 2 + 1e-3f)
            throw new InvalidDataException($"{source}: `max_timesteps` must be in (0, π/2] but is {MaxTimesteps}.");
    }
}
