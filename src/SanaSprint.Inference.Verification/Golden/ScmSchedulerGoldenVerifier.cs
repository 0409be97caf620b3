using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Sampling;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies an <c>SCMScheduler</c> golden folder (<c>scheduler_config.json</c> + <c>golden.safetensors</c> with
/// <c>out.nN.timesteps</c>): the timestep list of every recorded step count and every step's <c>denoised</c> and
/// <c>prev_sample</c> for the stored sample, model output and noise.
/// </summary>
public sealed partial class ScmSchedulerGoldenVerifier : IGoldenVerifier
{
    /// <inheritdoc />
    public bool CanVerify(string caseDirectory)
    {
        string config = Path.Combine(caseDirectory, "scheduler_config.json");
        string golden = Path.Combine(caseDirectory, "golden.safetensors");
        if (!File.Exists(config) || !File.Exists(golden)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            if (!doc.RootElement.TryGetProperty("_class_name", out var cls) || cls.GetString() != "SCMScheduler") return false;
            using var file = SafetensorsFile.Open(golden);
            return file.Tensors.Keys.Any(k => RunTimestepsKey().IsMatch(k));
        }
        catch (Exception ex) when (ex is JsonException or CheckpointException or IOException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        var config = ScmSchedulerConfig.Load(Path.Combine(caseDirectory, "scheduler_config.json"));
        var runKwargs = ReadRunKwargs(Path.Combine(caseDirectory, "meta.json"));
        using var golden = SafetensorsFile.Open(Path.Combine(caseDirectory, "golden.safetensors"));
        var comparisons = new List<GoldenComparison>();
        var steps = golden.Tensors.Keys.Select(k => RunTimestepsKey().Match(k)).Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order().ToList();
        foreach (int n in steps)
        {
            progress?.Report($"scm_scheduler: {n} step(s)");
            var scheduler = new ScmScheduler(config);
            float? max = null;
            float? mid = n == 2 ? ScmScheduler.DefaultIntermediateTimesteps : null;
            if (runKwargs.TryGetValue($"n{n}", out var kw))
            {
                max = kw.Max;
                mid = kw.HasIntermediate ? kw.Intermediate : null;
            }

            scheduler.SetTimesteps(n, max, mid);
            comparisons.Add(TensorComparer.AllClose($"out.n{n}.timesteps", scheduler.Timesteps, golden.ReadFloat32($"out.n{n}.timesteps")));
            for (int i = 0; i < n; i++)
            {
                string p = $"n{n}";
                var result = scheduler.Step(golden.ReadFloat32($"in.{p}.model_output.{i}"), i, golden.ReadFloat32($"in.{p}.sample.{i}"), golden.ReadFloat32($"in.{p}.noise.{i}"));
                comparisons.Add(TensorComparer.AllClose($"out.{p}.denoised.{i}", result.Denoised, golden.ReadFloat32($"out.{p}.denoised.{i}")));
                comparisons.Add(TensorComparer.AllClose($"out.{p}.prev_sample.{i}", result.PrevSample, golden.ReadFloat32($"out.{p}.prev_sample.{i}")));
            }
        }

        return new GoldenReport(Path.GetFileName(Path.TrimEndingDirectorySeparator(caseDirectory)), "scm_scheduler", comparisons);
    }

    private readonly record struct Kwargs(float? Max, bool HasIntermediate, float? Intermediate);

    /// <summary>meta.json → runs.nN.set_timesteps_kwargs (max_timesteps, intermediate_timesteps); missing file or keys → defaults.</summary>
    private static Dictionary<string, Kwargs> ReadRunKwargs(string metaPath)
    {
        var result = new Dictionary<string, Kwargs>();
        if (!File.Exists(metaPath)) return result;
        using var doc = JsonDocument.Parse(File.ReadAllText(metaPath));
        if (!doc.RootElement.TryGetProperty("runs", out var runs) || runs.ValueKind != JsonValueKind.Object) return result;
        foreach (var run in runs.EnumerateObject())
        {
            if (!run.Value.TryGetProperty("set_timesteps_kwargs", out var kw)) continue;
            float? max = kw.TryGetProperty("max_timesteps", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetSingle() : null;
            bool hasMid = kw.TryGetProperty("intermediate_timesteps", out var i);
            float? mid = hasMid && i.ValueKind == JsonValueKind.Number ? i.GetSingle() : null;
            result[run.Name] = new Kwargs(max, hasMid, mid);
        }

        return result;
    }

    [GeneratedRegex(@"^out\.n(\d+)\.timesteps$")]
    private static partial Regex RunTimestepsKey();
}
