using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies a tiny-autoencoder case folder (taesd's <c>*_encoder.pth</c> and/or <c>*_decoder.pth</c> + <c>golden.safetensors</c>,
/// no <c>config.json</c>): <c>in.image</c> → encoder → <c>out.latent</c> and/or <c>in.latent</c> → decoder →
/// <c>out.image</c>. Each part goes through <see cref="TinyAutoencoder.Export"/>, the path of
/// <c>sanasprint export --checkpoint DIR --part encoder|decoder</c>, and runs on ONNX Runtime CPU in float32.
/// </summary>
/// <remarks>Tolerance: |Δ| ≤ 1e-4 + 1e-4·|ref| elementwise (the fp16 weights are upcast exactly; all compute is fp32).</remarks>
public sealed class TinyAutoencoderGoldenVerifier : IGoldenVerifier
{
    /// <summary>rtol = atol.</summary>
    public const double Tolerance = 1e-4;

    /// <inheritdoc />
    public bool CanVerify(string caseDirectory)
    {
        ArgumentNullException.ThrowIfNull(caseDirectory);
        if (!GoldenCase.IsCase(caseDirectory) || !TinyAutoencoderCheckpoint.IsCheckpoint(caseDirectory)) return false;
        try
        {
            using var golden = GoldenCase.Open(caseDirectory);
            return Parts(golden).Any();
        }
        catch (Exception ex) when (ex is CheckpointException or IOException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    /// <exception cref="CheckpointException">The folder's weights are missing or bad.</exception>
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(caseDirectory);
        using var golden = GoldenCase.Open(caseDirectory);
        var comparisons = new List<GoldenComparison>();
        foreach (var part in Parts(golden))
        {
            string outKey = "out." + TinyAutoencoder.OutputName(part);
            progress?.Report($"{golden.Name}: exporting the {part.ToString().ToLowerInvariant()}");
            var input = golden.Read("in." + TinyAutoencoder.InputName(part));
            var actual = Run(caseDirectory, part, input.AsFloats(), input.Shape);
            comparisons.Add(TensorComparer.AllClose(outKey, actual, golden.Read(outKey).AsFloats(), Tolerance, Tolerance));
            progress?.Report($"{golden.Name}: compared {outKey}");
        }
        return new GoldenReport(golden.Name, TinyAutoencoder.ClassName, comparisons);
    }

    /// <summary>Exports one part into a temporary folder, runs it on ONNX Runtime CPU and returns its output.</summary>
    /// <param name="checkpoint">A TAESana folder or one part's weights file.</param>
    /// <param name="part">Encoder or decoder.</param>
    /// <param name="input">The input tensor's data.</param>
    /// <param name="shape">Its shape.</param>
    public static float[] Run(string checkpoint, TinyAutoencoderPart part, float[] input, long[] shape)
    {
        string name = "taesana_" + part.ToString().ToLowerInvariant();
        string dir = Path.Combine(Path.GetTempPath(), "sanasprint-taesana-" + Guid.NewGuid().ToString("N"));
        try
        {
            var saved = TinyAutoencoder.Export(checkpoint, Path.Combine(dir, name + ".onnx"),
                new ModelBuildOptions { Part = part.ToString().ToLowerInvariant() });
            var factory = new OnnxSessionFactory(new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "golden verification", null), new InferenceOptions());
            using var session = factory.Create(name, saved.ModelPath);
            return session.Run([new HostTensor(TinyAutoencoder.InputName(part), input, shape)])[0];
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static IEnumerable<TinyAutoencoderPart> Parts(GoldenCase golden)
    {
        foreach (var part in new[] { TinyAutoencoderPart.Encoder, TinyAutoencoderPart.Decoder })
            if (golden.Contains("in." + TinyAutoencoder.InputName(part)) && golden.Contains("out." + TinyAutoencoder.OutputName(part)))
                yield return part;
    }
}
