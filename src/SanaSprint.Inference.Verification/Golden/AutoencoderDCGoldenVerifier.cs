using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies an <c>AutoencoderDC</c> case folder (<c>config.json</c> + <c>diffusion_pytorch_model.safetensors</c> +
/// <c>golden.safetensors</c>): <c>in.z</c> → decoder → <c>out.sample</c> and/or <c>in.x</c> → encoder → <c>out.latent</c>.
/// The folder is loaded as a real checkpoint, the graph is built with dynamic batch and spatial dimensions (so the
/// attention branch is chosen at run time), saved with external data and run on ONNX Runtime CPU.
/// </summary>
/// <remarks>
/// Tolerances (shared/golden/README.md): fp32 decoder |Δ| ≤ 1e-4 + 1e-4·|ref| elementwise; fp32 encoder, whose latents
/// reach |x| ≈ 16, is relative: max|Δ| / max|ref| ≤ 1e-4; fp16 graphs: relative RMS ≤ 1e-2.
/// </remarks>
public sealed class AutoencoderDCGoldenVerifier : IGoldenVerifier
{
    /// <summary>rtol = atol of fp32 graphs.</summary>
    public const double Fp32Tolerance = 1e-4;

    /// <summary>Relative RMS bound of fp16 graphs.</summary>
    public const double Fp16RelativeRms = 1e-2;

    /// <summary>Creates an fp32 verifier (the reference check; used by <c>verify-golden</c>).</summary>
    public AutoencoderDCGoldenVerifier() : this(GraphPrecision.Fp32) { }

    /// <summary>Creates a verifier building graphs in the given precision.</summary>
    public AutoencoderDCGoldenVerifier(GraphPrecision precision) => Precision = precision;

    /// <summary>The precision graphs are built in.</summary>
    public GraphPrecision Precision { get; }

    /// <inheritdoc />
    public bool CanVerify(string caseDirectory)
    {
        ArgumentNullException.ThrowIfNull(caseDirectory);
        if (!File.Exists(Path.Combine(caseDirectory, "config.json")) || !GoldenCase.IsCase(caseDirectory)) return false;
        try
        {
            if (ComponentConfig.Load(caseDirectory).ClassName != AutoencoderDC.ClassName) return false;
            using var golden = GoldenCase.Open(caseDirectory);
            return Parts(golden).Any();
        }
        catch (Exception ex) when (ex is CheckpointException or IOException or System.Text.Json.JsonException)
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
        var configFile = ComponentConfig.Load(caseDirectory);
        configFile.ExpectClass(AutoencoderDC.ClassName);
        var config = configFile.Deserialize<AutoencoderDCConfig>();
        using var weights = SafetensorsCheckpoint.Open(caseDirectory);

        var comparisons = new List<GoldenComparison>();
        foreach (var part in Parts(golden))
        {
            string inKey = "in." + AutoencoderDC.InputName(part), outKey = "out." + AutoencoderDC.OutputName(part);
            progress?.Report($"{golden.Name}: building the {Precision} {part.ToString().ToLowerInvariant()}");
            var input = golden.Read(inKey);
            var expected = golden.Read(outKey).AsFloats();
            var actual = Run(part, config, weights, configFile.Path, input);
            progress?.Report($"{golden.Name}: compared {outKey}");
            comparisons.Add(Compare(part, outKey, actual, expected));
        }

        return new GoldenReport(golden.Name, AutoencoderDC.ClassName, comparisons);
    }

    /// <summary>Builds one part into a temporary folder, runs it on ONNX Runtime CPU and returns its output.</summary>
    internal float[] Run(AutoencoderDCPart part, AutoencoderDCConfig config, SafetensorsCheckpoint weights, string configPath, GoldenTensor input)
    {
        var builder = AutoencoderDC.Build(part, config, weights, new AutoencoderDCBuildOptions { Precision = Precision }, configPath);
        string dir = Path.Combine(Path.GetTempPath(), "sanasprint-dcae-" + Guid.NewGuid().ToString("N"));
        try
        {
            var saved = OnnxModelWriter.Save(builder, Path.Combine(dir, $"vae_{part.ToString().ToLowerInvariant()}.onnx"), WeightStorage.SingleFile);
            var factory = new OnnxSessionFactory(new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "golden verification", null), new InferenceOptions());
            using var session = factory.Create($"vae_{part.ToString().ToLowerInvariant()}", saved.ModelPath);
            return session.Run([new HostTensor(AutoencoderDC.InputName(part), input.AsFloats(), input.Shape)])[0];
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Applies this verifier's tolerance to one output.</summary>
    internal GoldenComparison Compare(AutoencoderDCPart part, string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (Precision == GraphPrecision.Fp16)
            return TensorComparer.RelativeRmsWithin(name, actual, expected, Fp16RelativeRms);
        var comparison = TensorComparer.AllClose(name, actual, expected, Fp32Tolerance, Fp32Tolerance);
        // The encoder's latents reach |x| ≈ 16: it is held to max|Δ| / max|ref| instead of an elementwise bound.
        return part == AutoencoderDCPart.Encoder ? comparison with { Passed = actual.Length > 0 && comparison.MaxRelError <= Fp32Tolerance } : comparison;
    }

    private static IEnumerable<AutoencoderDCPart> Parts(GoldenCase golden)
    {
        foreach (var part in new[] { AutoencoderDCPart.Encoder, AutoencoderDCPart.Decoder })
            if (golden.Contains("in." + AutoencoderDC.InputName(part)) && golden.Contains("out." + AutoencoderDC.OutputName(part)))
                yield return part;
    }
}
