using System.Text.Json;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Runtime;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Verification;

/// <summary>
/// Verifies a Gemma-2 encoder case (<c>text_encoder/</c> with a <c>gemma2</c> config, <c>in.input_ids</c>,
/// <c>in.attention_mask</c>, <c>out.last_hidden_state.{eager|sdpa}</c>): builds the graph, runs it on ONNX Runtime CPU
/// and compares real-token positions within 1e-4; padded positions must be finite.
/// </summary>
public sealed class TextEncoderGoldenVerifier : IGoldenVerifier
{
    /// <inheritdoc />
    public bool CanVerify(string caseDirectory) =>
        GoldenCase.IsCase(caseDirectory) && TextGoldenCases.IsGemma2Folder(Path.Combine(caseDirectory, "text_encoder"))
        && TextGoldenCases.HasKeys(caseDirectory, "in.input_ids", "in.attention_mask");

    /// <inheritdoc />
    public GoldenReport Verify(string caseDirectory, IProgress<string>? progress = null)
    {
        using var golden = GoldenCase.Open(caseDirectory);
        var ids = golden.Read("in.input_ids");
        var mask = golden.Read("in.attention_mask").AsLongs();
        var tokens = new TokenizedBatch(ids.AsLongs(), mask, (int)ids.Shape[0], (int)ids.Shape[1]);
        var comparisons = new List<GoldenComparison>();
        using var temp = new TextGoldenCases.TempFolder();
        foreach (var attention in TextGoldenCases.AttentionsIn(golden.OutputKeys, "out.last_hidden_state."))
        {
            var options = new Gemma2GraphOptions { Attention = attention };
            progress?.Report($"building Gemma-2 ({options.CacheText})");
            using var encoder = Gemma2TextEncoder.Load(Path.Combine(caseDirectory, "text_encoder"), TextGoldenCases.CpuSessions, Path.Combine(temp.Path, options.CacheText), options);
            string suffix = attention.ToString().ToLowerInvariant();
            var actual = encoder.Encode(tokens);
            comparisons.AddRange(TextGoldenCases.CompareRealTokens($"out.last_hidden_state.{suffix}", actual, golden.Read($"out.last_hidden_state.{suffix}").AsFloats(), mask, encoder.HiddenSize));

            // Row 0 again without a mask (pure causal + sliding), when recorded.
            string noMaskKey = $"out.last_hidden_state_nomask_row0.{suffix}";
            if (golden.Contains(noMaskKey))
            {
                int length = tokens.SequenceLength;
                var row = new TokenizedBatch(tokens.InputIds[..length], Enumerable.Repeat(1L, length).ToArray(), 1, length);
                comparisons.Add(TensorComparer.AllClose(noMaskKey, encoder.Encode(row), golden.Read(noMaskKey).AsFloats(), 1e-4, 1e-4));
            }
        }

        return new GoldenReport(golden.Name, "Gemma2Model", comparisons);
    }
}
