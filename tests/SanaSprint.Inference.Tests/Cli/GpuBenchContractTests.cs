using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using SanaSprint.Cli.Commands;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Cli;

/// <summary>
/// What bench/gpu/run.sh and tools/reference-bench/cpu_side_by_side.py read from the CLI, on the demo checkpoint:
/// the <c>bench</c> per-stage rows of a 2-step ControlNet frame, and the <c>bench-components --dump</c> tensors that
/// the reference runs on.
/// </summary>
public sealed partial class GpuBenchContractTests
{
    private static async Task<(int Code, string Out, string Err)> Invoke(Command command, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await command.Parse(args).InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task BenchPrintsTheBatchOneStageRowsTheGpuScriptSummarises()
    {
        using var tmp = new TempFolder();
        var (code, output, error) = await Invoke(BenchCommand.Create(), "--size", "64x64", "--batch", "1", "--runs", "1", "--warmup", "0",
            "--steps", "2", "--mode", "controlnet", "--device", "cpu", "--preview-decoder", "none", "--cache", tmp.File("cache"));
        Assert.True(code == 0, error);

        // The summary's pattern in bench/gpu/run.sh.
        var stages = StageRow().Matches(output).ToDictionary(m => m.Groups["stage"].Value,
            m => double.Parse(m.Groups["median"].Value, CultureInfo.InvariantCulture));
        foreach (var stage in new[] { "step 1 (transformer + ControlNet)", "step 2 (transformer + ControlNet)", "decode + postprocess", "total (wall)" })
            Assert.True(stages.TryGetValue(stage, out double ms) && ms > 0 && double.IsFinite(ms), $"'{stage}' missing or not positive in:\n{output}");
        Assert.Contains(stages.Keys, k => k.StartsWith("sketch preprocess + DC-AE encode", StringComparison.Ordinal));
        Assert.Matches(ProviderLine(), output);
    }

    [Fact]
    public async Task ComponentsDumpHoldsEveryInputAndOutputWithConsistentShapesAndValues()
    {
        using var tmp = new TempFolder();
        string dump = tmp.File("dump");
        var (code, output, error) = await Invoke(BenchComponentsCommand.Create(), "--size", "64x64", "--runs", "1", "--warmup", "0",
            "--device", "cpu", "--preview-decoder", "none", "--cache", tmp.File("cache"), "--dump", dump);
        Assert.True(code == 0, error);
        Assert.Contains("tensors   : ", output);

        (long[] Shape, float[] Values) Read(string name) => NpyFile.ReadFloat32(Path.Combine(dump, name + ".npy"));
        var latents = Read("hidden_states");
        Assert.Equal(4, latents.Shape.Length);
        Assert.Equal(1, latents.Shape[0]);
        long c = latents.Shape[1], h = latents.Shape[2], w = latents.Shape[3];
        Assert.Equal([1L, 3, 64, 64], Read("control_image").Shape);
        Assert.Equal([1L, 3, 64, 64], Read("out.dcae_decode").Shape);
        Assert.Equal(latents.Shape, Read("out.transformer").Shape);
        Assert.Equal(latents.Shape, Read("controlnet_cond").Shape);
        Assert.Equal([1L], Read("timestep").Shape);
        Assert.Equal([1L], Read("guidance").Shape);
        Assert.Equal([1f], Read("conditioning_scale").Values);
        var embeds = Read("encoder_hidden_states");
        Assert.Equal(3, embeds.Shape.Length);
        Assert.True(File.Exists(Path.Combine(dump, "encoder_attention_mask.npy")));

        // One residual per ControlNet block, [1, h·w, D] each, numbered from 0 without gaps.
        var blocks = Directory.GetFiles(dump, "out.controlnet_block_*.npy").Length;
        Assert.True(blocks > 0);
        for (int i = 0; i < blocks; i++)
        {
            var block = Read($"out.controlnet_block_{i}");
            Assert.Equal(3, block.Shape.Length);
            Assert.Equal(h * w, block.Shape[1]);
        }

        // controlnet_cond is the encoder's output × scaling_factor: one constant ratio everywhere.
        var encoded = Read("out.dcae_encode").Values;
        var cond = Read("controlnet_cond").Values;
        int k = Array.IndexOf(encoded, encoded.MaxBy(Math.Abs));
        double scale = cond[k] / encoded[k];
        Assert.InRange(scale, 0.01, 10);
        double tolerance = 1e-5 * encoded.Max(Math.Abs);
        for (int i = 0; i < cond.Length; i++) Assert.True(Math.Abs(cond[i] - scale * encoded[i]) <= tolerance, $"element {i}");
        foreach (var name in new[] { "out.transformer", "out.dcae_decode", "out.dcae_encode" })
            Assert.All(Read(name).Values, v => Assert.True(float.IsFinite(v), name));
        Assert.Equal(c * h * w, latents.Values.Length);
    }

    [Fact]
    public async Task ComponentsPrecisionOtherThanFp32OrFp16IsRefusedByTheParser()
    {
        var (code, _, error) = await Invoke(BenchComponentsCommand.Create(), "--precision", "bf16", "--device", "cpu");
        Assert.NotEqual(0, code);
        Assert.Contains("bf16", error);
    }

    [GeneratedRegex(@"^\| 1 \| (?<stage>[^|]+?) \| (?<median>[0-9.]+) \| (?<p95>[0-9.]+) \|", RegexOptions.Multiline)]
    private static partial Regex StageRow();

    [GeneratedRegex(@"provider (CPU|CUDA)")]
    private static partial Regex ProviderLine();
}
