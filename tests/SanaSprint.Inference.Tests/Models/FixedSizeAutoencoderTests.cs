using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Onnx;
using SanaSprint.Inference.Tests.TestSupport;

namespace SanaSprint.Inference.Tests.Models;

/// <summary>
/// The demo's DC-AE built at the served size (no control flow: what CUDA graphs can capture) computes what the loader's
/// dynamic-size build computes: latents and decoded planes within 1e-5, and the same image bytes.
/// </summary>
public sealed class FixedSizeAutoencoderTests
{
    private static Dictionary<string, OrtValue> Run(string model, string input, float[] data, long[] shape)
    {
        using var session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = 2 });
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        var names = session.OutputNames.ToList();
        var outputs = session.Run(runOptions, [input], [value], names);
        return names.Select((n, i) => (n, outputs[i])).ToDictionary(p => p.n, p => p.Item2);
    }

    [Theory]
    [InlineData(AutoencoderDCPart.Encoder)]
    [InlineData(AutoencoderDCPart.Decoder)]
    public void TheFixedSizeDemoAutoencoderEqualsTheDynamicOne(AutoencoderDCPart part)
    {
        const int size = 256;
        using var tmp = new TempFolder("fixed-size");
        var (_, _, vae) = LintGraphs.Folders("demo", tmp.Path);
        var config = ComponentConfig.Load(vae);
        var c = config.Deserialize<AutoencoderDCConfig>();
        int f = AutoencoderDC.SpatialCompression(c);
        bool decoder = part == AutoencoderDCPart.Decoder;
        int side = decoder ? size / f : size;
        string dynamicModel = tmp.File("dynamic/model.onnx"), fixedModel = tmp.File("fixed/model.onnx");
        using (var weights = SafetensorsCheckpoint.Open(vae))
        {
            OnnxModelWriter.Save(AutoencoderDC.Build(part, c, weights, new AutoencoderDCBuildOptions { ImageOutput = decoder }, config.Path), dynamicModel, WeightStorage.SingleFile);
            OnnxModelWriter.Save(AutoencoderDC.Build(part, c, weights, new AutoencoderDCBuildOptions { ImageOutput = decoder, InputSize = (side, side) }, config.Path),
                fixedModel, WeightStorage.SingleFile);
        }

        string input = decoder ? "z" : "x";
        long[] shape = [1, decoder ? c.LatentChannels : 3, side, side];
        var data = TinyModels.Random((int)shape.Aggregate(1L, (a, b) => a * b), seed: 5).Select(v => decoder ? 2 * v : v).ToArray();
        var dynamic = Run(dynamicModel, input, data, shape);
        var fixedSize = Run(fixedModel, input, data, shape);
        try
        {
            string floats = decoder ? "sample" : "latent";
            TensorAssert.AllClose(fixedSize[floats].GetTensorDataAsSpan<float>().ToArray(), dynamic[floats].GetTensorDataAsSpan<float>().ToArray(), 1e-5, 1e-5, floats);
            if (decoder)
            {
                var image = fixedSize["image"].GetTensorDataAsSpan<byte>().ToArray();
                Assert.Equal(3 * size * size, image.Length);
                Assert.Equal(dynamic["image"].GetTensorDataAsSpan<byte>().ToArray(), image);
            }
        }
        finally
        {
            foreach (var v in dynamic.Values.Concat(fixedSize.Values)) v.Dispose();
        }
    }
}
