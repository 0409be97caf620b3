namespace SanaSprint.Inference.Verification;

/// <summary>
/// Runs one reference case folder (see <c>shared/golden/README.md</c>) through the project's own code
/// and compares every output. Implementations are discovered by reflection, so each model family adds
/// its own verifier without touching a shared list.
/// </summary>
public interface IGoldenVerifier
{
    /// <summary>True when this verifier understands the folder (decided from its files and config, never its name).</summary>
    bool CanVerify(string caseDirectory);

    /// <summary>Runs the case and returns one comparison per output tensor.</summary>
    GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null);
}
