using Microsoft.ML.OnnxRuntime;
using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.TestSupport;

/// <summary>Tiny random checkpoints in diffusers layout, made in-test, and a small ORT runner.</summary>
public static class TinyModels
{
    /// <summary>Writes a transformer component folder; returns it.</summary>
    public static string WriteTransformer(string folder, SanaTransformer2DConfig config, ulong seed = 1, SafetensorsDType dtype = SafetensorsDType.F32)
    {
        RandomCheckpoint.Write(folder, ComponentConfig.ToJson("SanaTransformer2DModel", config), ParameterShapes.ForTransformer(config), dtype, seed);
        return folder;
    }

    /// <summary>Writes a ControlNet component folder; returns it.</summary>
    public static string WriteControlNet(string folder, SanaControlNetConfig config, ulong seed = 2)
    {
        RandomCheckpoint.Write(folder, ComponentConfig.ToJson("SanaControlNetModel", config), ParameterShapes.ForControlNet(config), SafetensorsDType.F32, seed);
        return folder;
    }

    /// <summary>Deterministic uniform values in [−1, 1].</summary>
    public static float[] Random(int count, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>Runs a graph on ORT CPU; inputs are float[] or long[] with shapes; returns every output with its shape.</summary>
    public static Dictionary<string, (float[] Data, long[] Shape)> Run(string modelPath, IReadOnlyDictionary<string, (Array Data, long[] Shape)> inputs)
    {
        using var session = new InferenceSession(modelPath);
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var name in session.InputNames)
            {
                var (data, shape) = inputs[name];
                names.Add(name);
                values.Add(data is long[] l ? OrtValue.CreateTensorValueFromMemory(l, shape) : OrtValue.CreateTensorValueFromMemory((float[])data, shape));
            }
            var outNames = session.OutputNames.ToList();
            using var results = session.Run(new RunOptions(), names, values, outNames);
            return outNames.Select((n, i) => (n, results[i])).ToDictionary(
                p => p.n, p => (p.Item2.GetTensorDataAsSpan<float>().ToArray(), p.Item2.GetTensorTypeAndShape().Shape));
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
