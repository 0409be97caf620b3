using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;

namespace SanaSprint.Inference.Tests.Models;

/// <summary>The graphs the loader builds for a checkpoint (as <c>SanaSprintLoader.LoadComponents</c> asks the catalog), plus fixed-size DC-AE builds.</summary>
internal static class LintGraphs
{
    /// <summary>Component folders of the demo (generated into <paramref name="scratch"/>) or the small random golden checkpoints.</summary>
    public static (string Transformer, string ControlNet, string Vae) Folders(string checkpoint, string scratch)
    {
        if (checkpoint == "demo")
        {
            var paths = EmbeddedDemoCheckpoint.Instance.EnsureCreated(scratch);
            return (Path.Combine(paths.PipelineDirectory, "transformer"), paths.ControlNetDirectory, Path.Combine(paths.PipelineDirectory, "vae"));
        }

        string pipeline = TestPaths.GoldenCase("pipeline_sprint_tiny");
        return (Path.Combine(pipeline, "transformer"), TestPaths.GoldenCase("controlnet_tiny"), Path.Combine(pipeline, "vae"));
    }

    /// <summary>Transformer (with the ControlNet's residual inputs), ControlNet, DC-AE encoder and decoder (with the uint8 image output).</summary>
    public static List<(string Name, GraphBuilder Graph)> Build(string checkpoint, GraphPrecision precision, string scratch)
    {
        var (transformer, controlNet, vae) = Folders(checkpoint, scratch);
        int blocks = ModelCatalog.Describe(ComponentConfig.Load(controlNet)).ControlBlocks;
        return
        [
            ("transformer", Catalog(transformer, new ModelBuildOptions { Precision = precision, ControlBlocks = blocks })),
            ("controlnet", Catalog(controlNet, new ModelBuildOptions { Precision = precision })),
            ("vae_encoder", Catalog(vae, new ModelBuildOptions { Precision = precision, Part = "encoder" })),
            ("vae_decoder", Catalog(vae, new ModelBuildOptions { Precision = precision, Part = "decoder", ImageOutput = true })),
        ];
    }

    /// <summary>The DC-AE encoder and decoder built at a fixed size (pixels <paramref name="size"/>²).</summary>
    public static List<(string Name, GraphBuilder Graph)> FixedSizeAutoencoder(string checkpoint, GraphPrecision precision, string scratch, int size)
    {
        var (_, _, vae) = Folders(checkpoint, scratch);
        var config = ComponentConfig.Load(vae);
        var c = config.Deserialize<AutoencoderDCConfig>();
        int f = AutoencoderDC.SpatialCompression(c);
        using var weights = SafetensorsCheckpoint.Open(vae);
        return
        [
            ("vae_encoder", AutoencoderDC.Build(AutoencoderDCPart.Encoder, c, weights, new AutoencoderDCBuildOptions { Precision = precision, InputSize = (size, size) }, config.Path)),
            ("vae_decoder", AutoencoderDC.Build(AutoencoderDCPart.Decoder, c, weights,
                new AutoencoderDCBuildOptions { Precision = precision, InputSize = (size / f, size / f), ImageOutput = true }, config.Path)),
        ];
    }

    /// <summary>Writes the fixed-size DC-AE encoder and decoder of <paramref name="checkpoint"/> into <paramref name="folder"/>; returns their paths.</summary>
    public static List<(string Name, string Path)> SaveFixedSizeAutoencoder(string checkpoint, string scratch, int size, string folder)
    {
        var (_, _, vae) = Folders(checkpoint, scratch);
        var config = ComponentConfig.Load(vae);
        var c = config.Deserialize<AutoencoderDCConfig>();
        int f = AutoencoderDC.SpatialCompression(c);
        using var weights = SafetensorsCheckpoint.Open(vae);
        var saved = new List<(string, string)>();
        foreach (var (name, part, input) in new[] { ("vae_encoder", AutoencoderDCPart.Encoder, size), ("vae_decoder", AutoencoderDCPart.Decoder, size / f) })
        {
            var g = AutoencoderDC.Build(part, c, weights, new AutoencoderDCBuildOptions { InputSize = (input, input), ImageOutput = part == AutoencoderDCPart.Decoder }, config.Path);
            string path = System.IO.Path.Combine(folder, name, "model.onnx");
            OnnxModelWriter.Save(g, path, WeightStorage.SingleFile);
            saved.Add((name, path));
        }

        return saved;
    }

    private static GraphBuilder Catalog(string folder, ModelBuildOptions options)
    {
        using var weights = SafetensorsCheckpoint.Open(folder);
        return ModelCatalog.Build(ComponentConfig.Load(folder), weights, options);
    }
}
