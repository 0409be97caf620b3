using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies a <c>SanaTransformer2DModel</c> or <c>SanaControlNetModel</c> case folder (<c>config.json</c> + weights +
/// <c>golden.safetensors</c>). The folder is loaded like a real checkpoint through <see cref="ModelCatalog.BuildCached"/>
/// (weights referenced inside the safetensors file where dtypes match), with as many ControlNet inputs as the case
/// has <c>in.controlnet_block_samples.*</c>; the graph runs on ONNX Runtime CPU with inputs named as the golden keys
/// (<see cref="GoldenCase.GraphName"/>), and each graph output <c>X</c> is compared with <c>out.X</c>. A reference
/// <c>out.X_without_control</c> is checked by a second graph built without ControlNet inputs.
/// </summary>
/// <remarks>fp32: rtol = atol = 1e-4 elementwise. fp16: relative RMS ≤ 1e-2.</remarks>
public sealed class SanaTransformerGoldenVerifier : IGoldenVerifier
{
    /// <summary>rtol = atol of fp32 graphs.</summary>
    public const double Fp32Tolerance = 1e-4;

    /// <summary>Relative RMS bound of fp16 graphs.</summary>
    public const double Fp16RelativeRms = 1e-2;

    private static readonly string[] Classes = ["SanaTransformer2DModel", "SanaControlNetModel"];

    /// <summary>Creates an fp32 verifier (used by <c>verify-golden</c>).</summary>
    public SanaTransformerGoldenVerifier() : this(GraphPrecision.Fp32) { }

    /// <summary>Creates a verifier building graphs in the given precision.</summary>
    public SanaTransformerGoldenVerifier(GraphPrecision precision) => Precision = precision;

    /// <summary>The precision graphs are built in.</summary>
    public GraphPrecision Precision { get; }

    /// <inheritdoc />
    public bool CanVerify(string caseDirectory)
    {
        ArgumentNullException.ThrowIfNull(caseDirectory);
        if (!File.Exists(Path.Combine(caseDirectory, "config.json")) || !GoldenCase.IsCase(caseDirectory)) return false;
        try
        {
            return Classes.Contains(ComponentConfig.Load(caseDirectory).ClassName);
        }
        catch (CheckpointException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    /// <exception cref="CheckpointException">The folder's config or weights are bad.</exception>
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(caseDirectory);
        using var golden = GoldenCase.Open(caseDirectory);
        var config = ComponentConfig.Load(caseDirectory);
        config.ExpectClass(Classes);
        int controlBlocks = golden.InputKeys.Count(k => k.StartsWith("in.controlnet_block_samples.", StringComparison.Ordinal));

        string cacheDir = Path.Combine(Path.GetTempPath(), "sanasprint-verify-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var cache = new GraphCache(cacheDir);
            var comparisons = new List<GoldenComparison>();
            progress?.Report($"{golden.Name}: building the {Precision} graph ({config.ClassName}, {controlBlocks} control inputs)");
            var options = new ModelBuildOptions { Precision = Precision, ControlBlocks = controlBlocks };
            var graph = ModelCatalog.BuildCached(caseDirectory, cache, options);
            comparisons.AddRange(RunAndCompare(graph.ModelPath, golden, suffix: ""));

            if (controlBlocks > 0 && golden.OutputKeys.Any(k => k.EndsWith("_without_control", StringComparison.Ordinal)))
            {
                progress?.Report($"{golden.Name}: building the graph without control inputs");
                var plain = ModelCatalog.BuildCached(caseDirectory, cache, options with { ControlBlocks = 0 });
                comparisons.AddRange(RunAndCompare(plain.ModelPath, golden, suffix: "_without_control"));
            }
            return new GoldenReport(golden.Name, config.ClassName, comparisons);
        }
        finally
        {
            try { Directory.Delete(cacheDir, recursive: true); } catch (IOException) { }
        }
    }

    private IEnumerable<GoldenComparison> RunAndCompare(string modelPath, GoldenCase golden, string suffix)
    {
        var outputs = RunGraph(modelPath, golden);
        foreach (var (name, actual) in outputs)
        {
            string key = $"out.{name}{suffix}";
            if (!golden.Contains(key)) continue;
            var expected = golden.Read(key).AsFloats();
            yield return Precision == GraphPrecision.Fp32
                ? TensorComparer.AllClose(key, actual, expected, Fp32Tolerance, Fp32Tolerance)
                : TensorComparer.RelativeRmsWithin(key, actual, expected, Fp16RelativeRms);
        }
    }

    /// <summary>Runs a graph on ONNX Runtime CPU, feeding every graph input from the golden <c>in.*</c> tensor of the same
    /// graph name; returns every output by name.</summary>
    /// <exception cref="InvalidOperationException">A graph input has no golden tensor.</exception>
    public static IReadOnlyList<(string Name, float[] Data)> RunGraph(string modelPath, GoldenCase golden)
    {
        using var session = new InferenceSession(modelPath);
        var byGraphName = golden.InputKeys.ToDictionary(GoldenCase.GraphName, k => k, StringComparer.Ordinal);
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var input in session.InputNames)
            {
                if (!byGraphName.TryGetValue(input, out var key))
                    throw new InvalidOperationException($"Graph input '{input}' has no golden tensor 'in.{input}' in {golden.Directory}.");
                var t = golden.Read(key);
                names.Add(input);
                values.Add(t.Longs is not null
                    ? OrtValue.CreateTensorValueFromMemory(t.Longs, t.Shape)
                    : OrtValue.CreateTensorValueFromMemory(t.AsFloats(), t.Shape));
            }
            var outNames = session.OutputNames.ToList();
            using var results = session.Run(new RunOptions(), names, values, outNames);
            return outNames.Select((n, i) => (n, results[i].GetTensorDataAsSpan<float>().ToArray())).ToList();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
