using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Cli.Commands;

/// <summary>
/// <c>bench-build [--work DIR] [--dtype bf16|fp32] [--layers N]</c>: writes a full-size SANA-Sprint 0.6B transformer with
/// deterministic random weights in diffusers layout, then reports the cold graph build (time, peak memory, file sizes),
/// a second start that hits the graph cache, and one CPU forward at an 8×8 latent (256² image) with 300 text tokens.
/// A benchmark, not a test.
/// </summary>
internal static class BenchBuildCommand
{
    /// <summary>The SANA-Sprint 0.6B transformer config (<c>Efficient-Large-Model/Sana_Sprint_0.6B_1024px_diffusers</c>).</summary>
    public static SanaTransformer2DConfig Sprint06B => FullSizeRandomCheckpoint.Transformer;

    /// <summary>The dc-ae-f32c32-sana config (<c>mit-han-lab/dc-ae-f32c32-sana-1.1-diffusers</c>).</summary>
    public static AutoencoderDCConfig DcAeF32C32Sana => FullSizeRandomCheckpoint.Vae;

    /// <summary>Creates the verb.</summary>
    public static Command Create()
    {
        var work = new Option<string?>("--work") { Description = "Folder for the checkpoint and the graph cache (default: a temporary folder, deleted afterwards). A second run with the same folder reuses both: a true second start." };
        var dtype = new Option<string>("--dtype") { Description = "Checkpoint dtype: bf16 (as published) or fp32.", DefaultValueFactory = _ => "bf16" };
        dtype.AcceptOnlyFromAmong("bf16", "fp32");
        var layers = new Option<int>("--layers") { Description = "Transformer blocks (28 for 0.6B).", DefaultValueFactory = _ => 28 };
        var vae = new Option<bool>("--vae") { Description = "Also build the full-size DC-AE (f32c32-sana) encoder and decoder and run each at 256²." };
        var command = new Command("bench-build", "Benchmark building the full-size SANA-Sprint 0.6B transformer graph.") { work, dtype, layers, vae };
        command.SetAction(parse => Run(parse.GetValue(work), parse.GetValue(dtype) == "fp32" ? SafetensorsDType.F32 : SafetensorsDType.BF16,
            parse.GetValue(layers), parse.InvocationConfiguration.Output, parse.GetValue(vae)));
        return command;
    }

    /// <summary>Runs the benchmark and prints the figures (wall and CPU time: on a shared machine the CPU time is the
    /// load-independent figure); returns 0.</summary>
    public static int Run(string? workDir, SafetensorsDType dtype, int layers, TextWriter output, bool vae = false)
    {
        bool temp = workDir is null;
        string root = workDir ?? Path.Combine(Path.GetTempPath(), "sanasprint-bench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var config = Sprint06B with { NumLayers = layers };
            string component = Path.Combine(root, "transformer");
            var sw = Stopwatch.StartNew();
            string configJson = ComponentConfig.ToJson("SanaTransformer2DModel", config);
            string weights = Path.Combine(component, "diffusion_pytorch_model.safetensors");
            string marker = Path.Combine(component, "bench-" + dtype + ".txt");
            bool reuse = File.Exists(weights) && File.Exists(marker) && File.ReadAllText(Path.Combine(component, "config.json")) == configJson;
            if (!reuse)
            {
                RandomCheckpoint.Write(component, configJson, ParameterShapes.ForTransformer(config), dtype, seed: 42);
                File.WriteAllText(marker, "written by bench-build\n");
            }
            long ckptBytes = new FileInfo(weights).Length;
            output.WriteLine(Line(reuse ? "checkpoint reused" : "checkpoint written", $"{sw.Elapsed.TotalSeconds:F1} s, {Mb(ckptBytes)} ({dtype}, {layers} blocks)"));

            var cache = new GraphCache(Path.Combine(root, "cache"));
            var options = new ModelBuildOptions { Precision = GraphPrecision.Fp32 };
            ResetPeakMemory();
            long before = Environment.WorkingSet;
            var cpu = CpuTime();
            sw.Restart();
            var cold = ModelCatalog.BuildCached(component, cache, options);
            double coldSeconds = sw.Elapsed.TotalSeconds;
            double coldCpu = (CpuTime() - cpu).TotalSeconds;
            long peak = PeakMemory();
            string dir = Path.GetDirectoryName(cold.ModelPath)!;
            output.WriteLine(Line(cold.FromCache ? "start, cache hit (hash check only)" : "cold build (hash + graph + weights)", $"{coldSeconds:F2} s wall, {coldCpu:F1} s CPU"));
            output.WriteLine(Line("peak RSS during build", $"{Mb(peak)} (before {Mb(before)}; checkpoint {Mb(ckptBytes)}, ratio {(double)peak / ckptBytes:F2})"));
            foreach (var f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                output.WriteLine(Line($"  {Path.GetFileName(f)}", Mb(new FileInfo(f).Length)));

            sw.Restart();
            var warm = ModelCatalog.BuildCached(component, cache, options);
            output.WriteLine(Line("second start (cache hit)", $"{sw.Elapsed.TotalSeconds:F2} s, from cache: {warm.FromCache}"));

            cpu = CpuTime();
            sw.Restart();
            using var session = new InferenceSession(warm.ModelPath);
            double load = sw.Elapsed.TotalSeconds;
            double loadCpu = (CpuTime() - cpu).TotalSeconds;
            var (names, values) = Inputs(config, batch: 1, latent: 8, textLength: 300);
            try
            {
                sw.Restart();
                using (var _ = session.Run(new RunOptions(), names, values, ["sample"])) { }
                double first = sw.Elapsed.TotalSeconds;
                cpu = CpuTime();
                sw.Restart();
                using (var _ = session.Run(new RunOptions(), names, values, ["sample"])) { }
                double second = sw.Elapsed.TotalSeconds, secondCpu = (CpuTime() - cpu).TotalSeconds;
                output.WriteLine(Line("ORT CPU session create", $"{load:F1} s wall, {loadCpu:F1} s CPU"));
                output.WriteLine(Line("forward 8×8 latent, 300 tokens", $"first {first:F2} s, second {second:F2} s wall ({secondCpu:F1} s CPU)"));
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
            if (vae) BenchAutoencoder(root, output);
            output.WriteLine(Line("process peak RSS", Mb(PeakMemory())));
            return 0;
        }
        finally
        {
            if (temp)
                try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static void BenchAutoencoder(string root, TextWriter output)
    {
        var config = DcAeF32C32Sana;
        string component = Path.Combine(root, "vae");
        string json = ComponentConfig.ToJson("AutoencoderDC", config);
        var sw = Stopwatch.StartNew();
        if (!File.Exists(Path.Combine(component, "diffusion_pytorch_model.safetensors")) || !File.Exists(Path.Combine(component, "config.json"))
            || File.ReadAllText(Path.Combine(component, "config.json")) != json)
            RandomCheckpoint.Write(component, json, ParameterShapes.ForAutoencoderDC(config).Select(p => (p.Key, p.Shape)).ToList(), SafetensorsDType.F32, seed: 43);
        long bytes = new FileInfo(Path.Combine(component, "diffusion_pytorch_model.safetensors")).Length;
        output.WriteLine(Line("DC-AE checkpoint", $"{sw.Elapsed.TotalSeconds:F1} s, {Mb(bytes)} (F32)"));
        var cache = new GraphCache(Path.Combine(root, "cache"));
        var rng = new Random(11);
        foreach (var (part, input, shape) in new[] { ("decoder", "z", new long[] { 1, 32, 8, 8 }), ("encoder", "x", new long[] { 1, 3, 256, 256 }) })
        {
            ResetPeakMemory();
            sw.Restart();
            var graph = ModelCatalog.BuildCached(component, cache, new ModelBuildOptions { Part = part });
            output.WriteLine(Line($"DC-AE {part} build{(graph.FromCache ? " (cache hit)" : "")}", $"{sw.Elapsed.TotalSeconds:F2} s, peak RSS {Mb(PeakMemory())}"));
            sw.Restart();
            using var session = new InferenceSession(graph.ModelPath);
            double load = sw.Elapsed.TotalSeconds;
            var data = Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
            sw.Restart();
            using (var _ = session.Run(new RunOptions(), [input], [value], session.OutputNames.ToList())) { }
            output.WriteLine(Line($"DC-AE {part} session / forward 256²", $"{load:F1} s / {sw.Elapsed.TotalSeconds:F2} s"));
        }
    }

    private static (List<string>, List<OrtValue>) Inputs(SanaTransformer2DConfig c, int batch, int latent, int textLength)
    {
        var rng = new Random(7);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var names = new List<string> { "hidden_states", "encoder_hidden_states", "encoder_attention_mask", "timestep", "guidance" };
        var values = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(Rand(batch * c.InChannels * latent * latent), [batch, c.InChannels, latent, latent]),
            OrtValue.CreateTensorValueFromMemory(Rand(batch * textLength * c.CaptionChannels), [batch, textLength, c.CaptionChannels]),
            OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, batch * textLength).ToArray(), [batch, textLength]),
            OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1.0f, batch).ToArray(), [batch]),
            OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(0.45f, batch).ToArray(), [batch]),
        };
        return (names, values);
    }

    private static TimeSpan CpuTime()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }

    private static string Line(string what, string value) => $"{what,-40} {value}";

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB");

    private static void ResetPeakMemory()
    {
        // Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM).
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static long PeakMemory()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        Process.GetCurrentProcess().Refresh();
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
