using Microsoft.Extensions.Logging.Abstractions;
using SanaSprint.Cli.Commands;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Precision;
using SanaSprint.Inference.Tests.TestSupport;

namespace SanaSprint.Inference.Tests.Precision;

/// <summary>The precision audit taps the right values, aggregates them over the frames and judges them against fp16's range.</summary>
public sealed class PrecisionAuditTests
{
    private static readonly SanaTransformer2DConfig Tiny = new()
    {
        InChannels = 4, OutChannels = 4, NumAttentionHeads = 2, AttentionHeadDim = 4, NumLayers = 2,
        NumCrossAttentionHeads = 2, CrossAttentionHeadDim = 4, CrossAttentionDim = 8, CaptionChannels = 6, MlpRatio = 2,
        GuidanceEmbeds = true, QkNorm = SanaTransformer2DModel.RmsNormAcrossHeads,
    };

    [Fact]
    public void OnTheDemoEveryBlockIsTappedEveryTapIsSeenAndTheControlNetTapsMatchItsReturnedResiduals()
    {
        using var tmp = new TempFolder("audit");
        var demo = EmbeddedDemoCheckpoint.Instance.EnsureCreated(tmp.Path);
        var settings = new PrecisionAuditSettings
        {
            PipelineDirectory = demo.PipelineDirectory, ControlNetDirectory = demo.ControlNetDirectory, CacheDirectory = tmp.Path,
            Width = 64, Height = 64, Prompts = ["a red house", "a blue boat"], Seeds = [3], Threads = 2,
        };

        var report = PrecisionAudit.Run(settings, NullLoggerFactory.Instance);

        Assert.Equal(2 * 3, report.Frames); // prompts × seeds × (text, img2img, ControlNet)
        var transformer = ComponentConfig.Load(Path.Combine(demo.PipelineDirectory, "transformer")).Deserialize<SanaTransformer2DConfig>();
        var controlNet = ComponentConfig.Load(demo.ControlNetDirectory).Deserialize<SanaControlNetConfig>();
        int Count(string component, string kind) => report.Taps.Count(t => t.Tap.Component == component && t.Tap.Kind == kind);
        Assert.Equal(3 * transformer.NumLayers, Count("transformer", PrecisionTaps.Residual));
        Assert.Equal(transformer.NumLayers, Count("transformer", PrecisionTaps.Glu));
        Assert.Equal(transformer.NumLayers, Count("transformer", PrecisionTaps.KtV));
        Assert.Equal(controlNet.NumLayers, Count("controlnet", PrecisionTaps.ControlResidual));
        foreach (var part in new[] { "vae_encoder", "vae_decoder" })
        {
            Assert.True(Count(part, PrecisionTaps.PreNorm) > 0, part);
            Assert.True(Count(part, PrecisionTaps.EvitGlu) > 0, part);
            Assert.True(Count(part, PrecisionTaps.EvitKtV) > 0, part);
        }

        // Every tap ran: the transformer once per step of every frame, the ControlNet per step of ControlNet frames.
        Assert.All(report.Taps.Where(t => t.Tap.Component == "transformer"), t => Assert.Equal(report.Frames * 2, t.Runs));
        Assert.All(report.Taps.Where(t => t.Tap.Component == "controlnet"), t => Assert.Equal(2 * 2, t.Runs));
        Assert.All(report.Taps, t => Assert.True(t.MaxAbs > 0 && t.NonFinite == 0, t.Tap.ValueName));

        // The tapped ControlNet residuals are the values the normal ControlNet session returned.
        double tapped = report.Taps.Where(t => t.Tap.Kind == PrecisionTaps.ControlResidual).Max(t => t.MaxAbs);
        Assert.Equal(report.ReturnedControlResidualMaxAbs, tapped, report.ReturnedControlResidualMaxAbs * 1e-5);

        var text = new StringWriter();
        report.Write(text);
        foreach (var (component, verdict) in report.Components) Assert.Contains($"{component,-12} {verdict}", text.ToString());
        Assert.Equal(["controlnet", "transformer", "vae_decoder", "vae_encoder"], report.Components.Keys.Order(StringComparer.Ordinal));
        // The scratch graphs are removed.
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "precision-audit")) && Directory.EnumerateFileSystemEntries(Path.Combine(tmp.Path, "precision-audit")).Any());
    }

    [Fact]
    public void TheGluTapIsTheProductOfTheDepthwiseConvolutionsHalvesOnARandomCheckpoint()
    {
        using var tmp = new TempFolder("audit-tiny");
        string dir = TinyModels.WriteTransformer(tmp.File("t"), Tiny, seed: 7);
        var config = ComponentConfig.Load(dir);
        using var weights = SafetensorsCheckpoint.Open(config.Directory);
        var g = ModelCatalog.Build(config, weights, new ModelBuildOptions());
        var taps = PrecisionTaps.Add(g, "transformer");
        Assert.Equal(3 * Tiny.NumLayers, taps.Count(t => t.Kind == PrecisionTaps.Residual));
        // The GLU's input, tapped beside it: conv_depth's output [B, 2·hidden, h, w].
        string depth = g.Nodes.Single(n => n.Name == "transformer_blocks.1.ff.conv_depth/Conv").Outputs[0];
        g.Tap(depth, SanaSprint.Inference.Onnx.Proto.TensorProto.Types.DataType.Float);
        string model = OnnxModelWriter.Save(g, tmp.File("tapped.onnx"), WeightStorage.SingleFile).ModelPath;

        const int B = 2, H = 3, W = 5, L = 4;
        var outputs = TinyModels.Run(model, new Dictionary<string, (Array, long[])>
        {
            ["hidden_states"] = (TinyModels.Random(B * 4 * H * W, 1), [B, 4, H, W]),
            ["encoder_hidden_states"] = (TinyModels.Random(B * L * 6, 2), [B, L, 6]),
            ["encoder_attention_mask"] = (new long[] { 1, 1, 1, 0, 1, 1, 0, 0 }, [B, L]),
            ["timestep"] = (new[] { 0.3f, 0.9f }, [B]),
            ["guidance"] = (new[] { 0.45f, 0.45f }, [B]),
        });
        var glu = outputs[taps.Single(t => t.Kind == PrecisionTaps.Glu && t.Location == "transformer_blocks.1.ff").ValueName];
        var (conv, shape) = outputs[depth];
        int hidden = (int)shape[1] / 2, plane = H * W;
        Assert.Equal(new long[] { B, hidden, H, W }, glu.Shape);
        double expectedMax = 0;
        for (int b = 0; b < B; b++)
            for (int c = 0; c < hidden; c++)
                for (int p = 0; p < plane; p++)
                {
                    float a = conv[(b * 2 * hidden + c) * plane + p], gate = conv[(b * 2 * hidden + hidden + c) * plane + p];
                    float expected = a * gate / (1 + MathF.Exp(-gate));
                    Assert.Equal(expected, glu.Data[(b * hidden + c) * plane + p], 1e-5f);
                    expectedMax = Math.Max(expectedMax, Math.Abs(expected));
                }

        var statistics = new TapStatistics();
        var gluTap = taps.Single(t => t.Kind == PrecisionTaps.Glu && t.Location == "transformer_blocks.1.ff");
        statistics.Add(gluTap, glu.Data);
        statistics.Add(gluTap, glu.Data.Select(v => v * 0.5f).ToArray());
        var (max, nonFinite, runs) = statistics.Of(gluTap);
        Assert.Equal(expectedMax, max, expectedMax * 1e-5);
        Assert.Equal((0L, 2L), (nonFinite, runs));
    }

    [Fact]
    public void TapStatisticsCountNonFiniteValuesApartFromTheMaximumAndKeepComponentsApart()
    {
        var s = new TapStatistics();
        var transformer = new PrecisionTap("transformer", PrecisionTaps.Residual, "transformer_blocks.0.ff", "transformer_blocks.0.ff/residual/Add/output_0");
        var controlNet = transformer with { Component = "controlnet" };
        s.Add(transformer, [1f, -3f, float.NaN]);
        s.Add(transformer, [2f, float.PositiveInfinity]);
        s.Add(controlNet, [-5f]);
        Assert.Equal((3.0, 2L, 2L), s.Of(transformer));
        Assert.Equal((5.0, 0L, 1L), s.Of(controlNet));
        Assert.Equal((0.0, 0L, 0L), s.Of(transformer with { Location = "elsewhere" }));
    }

    [Theory]
    [InlineData(PrecisionTaps.Residual, 8188.0, 0, PrecisionAuditReport.Fp16Safe)]
    [InlineData(PrecisionTaps.Residual, 8189.0, 0, PrecisionAuditReport.WiderTypeNeeded)]
    [InlineData(PrecisionTaps.Glu, 70000.0, 0, PrecisionAuditReport.WiderTypeNeeded)]
    [InlineData(PrecisionTaps.PreNorm, 9000.0, 0, PrecisionAuditReport.DcaePreScale)]
    [InlineData(PrecisionTaps.PreNorm, 10.0, 0, PrecisionAuditReport.Fp16Safe)]
    [InlineData(PrecisionTaps.EvitKtV, 1e7, 0, PrecisionAuditReport.InFp32Island)]
    [InlineData(PrecisionTaps.KtV, 1e5, 0, PrecisionAuditReport.InFp32Island)]
    [InlineData(PrecisionTaps.Residual, 1.0, 1, PrecisionAuditReport.NonFiniteInFp32)]
    public void VerdictsHoldTheTapsToFp16sRangeWithAnEightfoldMargin(string kind, double maxAbs, long nonFinite, string verdict) =>
        Assert.Equal(verdict, PrecisionAuditReport.VerdictFor(kind, maxAbs, nonFinite));

    [Fact]
    public void AComponentTakesItsWorstVerdictAndFp32IslandsDoNotCountAgainstIt()
    {
        static TapResult Tap(string component, string kind, double max) => new(new PrecisionTap(component, kind, $"{component}.{kind}", $"{component}/{kind}"), max, 0, 1);
        var report = new PrecisionAuditReport(
        [
            Tap("transformer", PrecisionTaps.Residual, 100), Tap("transformer", PrecisionTaps.KtV, 1e6),
            Tap("vae_decoder", PrecisionTaps.PreNorm, 3e4), Tap("vae_decoder", PrecisionTaps.EvitGlu, 10),
            Tap("vae_encoder", PrecisionTaps.PreNorm, 3e4), Tap("vae_encoder", PrecisionTaps.EvitGlu, 2e4),
        ], 1, "test");
        Assert.Equal(PrecisionAuditReport.Fp16Safe, report.Components["transformer"]);
        Assert.Equal(PrecisionAuditReport.DcaePreScale, report.Components["vae_decoder"]);
        Assert.Equal(PrecisionAuditReport.WiderTypeNeeded, report.Components["vae_encoder"]);
        var kv = report.Kinds.Single(k => k.Component == "transformer" && k.Kind == PrecisionTaps.KtV);
        Assert.Equal((1, 1e6, "transformer." + PrecisionTaps.KtV), (kv.Taps, kv.MaxAbs, kv.Location));
    }

    [Fact]
    public void TheVerbRefusesASizeTheModelCannotMakeNamingTheOption()
    {
        using var tmp = new TempFolder("audit-cli");
        var demo = EmbeddedDemoCheckpoint.Instance.EnsureCreated(tmp.Path);
        var error = new StringWriter();
        int code = AuditPrecisionCommand.Run(new PrecisionAuditSettings
        {
            PipelineDirectory = demo.PipelineDirectory, CacheDirectory = tmp.Path, Width = 70, Height = 64, Threads = 1,
        }, new StringWriter(), error, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Contains("`--size` must be positive multiples of 32 but is 70x64", error.ToString());
    }
}
