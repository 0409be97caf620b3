using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Models;

/// <summary>The bf16 transformer of the real-layout tiny pipeline (golden <c>layout/</c>), loaded through
/// <c>model_index.json</c> and the graph cache exactly like the official folder, reproduces every transformer call the
/// reference pipeline made.</summary>
public sealed partial class SanaSprintLayoutTransformerTests
{
    [GeneratedRegex(@"^out\.(p\d+)\.(\d+x\d+\.n\d+\.step\d+)\.transformer_out$")]
    private static partial Regex TransformerOut();

    [Fact]
    public void Bf16PipelineTransformerMatchesEveryRecordedCall()
    {
        using var tmp = new TempFolder();
        string layout = Path.Combine(TestPaths.Golden, "layout");
        var folder = DiffusersFolder.Open(Path.Combine(layout, "sana_sprint_tiny_pipeline"));
        Assert.Equal("SanaTransformer2DModel", folder.ComponentConfig("transformer").ClassName);
        using (var w = folder.OpenWeights("transformer"))
            Assert.All(w.Names, n => Assert.Equal(SafetensorsDType.BF16, w.FileOf(n).GetDType(n)));

        var graph = ModelCatalog.BuildCached(folder.ComponentPath("transformer"), new GraphCache(tmp.File("cache")), new ModelBuildOptions());
        Assert.True(File.Exists(graph.ModelPath + ".data")); // bf16 → fp32 converted, not referenced

        using var golden = GoldenCase.Open(layout);
        using var session = new InferenceSession(graph.ModelPath);
        int calls = 0;
        foreach (var key in golden.OutputKeys)
        {
            var m = TransformerOut().Match(key);
            if (!m.Success) continue;
            string prompt = m.Groups[1].Value, call = $"in.{prompt}.{m.Groups[2].Value}";
            var embeds = golden.Read($"out.{prompt}.prompt_embeds");
            var mask = golden.Read($"out.{prompt}.prompt_attention_mask");
            var hidden = golden.Read($"{call}.hidden_states");
            var t = golden.Read($"{call}.timestep");
            var g = golden.Read($"{call}.guidance");
            using var a = OrtValue.CreateTensorValueFromMemory(hidden.AsFloats(), hidden.Shape);
            using var b = OrtValue.CreateTensorValueFromMemory(embeds.AsFloats(), embeds.Shape);
            using var c = OrtValue.CreateTensorValueFromMemory(mask.AsLongs(), mask.Shape);
            using var d = OrtValue.CreateTensorValueFromMemory(t.AsFloats(), t.Shape);
            using var e = OrtValue.CreateTensorValueFromMemory(g.AsFloats(), g.Shape);
            using var results = session.Run(new RunOptions(),
                ["hidden_states", "encoder_hidden_states", "encoder_attention_mask", "timestep", "guidance"], [a, b, c, d, e], ["sample"]);
            var actual = results[0].GetTensorDataAsSpan<float>();
            TensorAssert.AllClose(golden.Read(key).AsFloats(), actual, 1e-4, 1e-4, key);
            calls++;
        }
        Assert.Equal(12, calls); // 2 prompts × 2 sizes × (1 + 2) steps
    }
}
