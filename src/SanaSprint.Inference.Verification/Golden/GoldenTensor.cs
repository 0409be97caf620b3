namespace SanaSprint.Inference.Verification;

/// <summary>A tensor read from <c>golden.safetensors</c>: data (float32 or int64) and shape.</summary>
/// <param name="Name">Key, e.g. <c>in.hidden_states</c>.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Floats">Data when the tensor is floating (converted to float32), else <c>null</c>.</param>
/// <param name="Longs">Data when the tensor is I64, else <c>null</c>.</param>
public sealed record GoldenTensor(string Name, long[] Shape, float[]? Floats, long[]? Longs)
{
    /// <summary>The float data, failing for an int64 tensor.</summary>
    public float[] AsFloats() => Floats ?? throw new InvalidOperationException($"Golden tensor '{Name}' is int64, not floating.");

    /// <summary>The int64 data, failing for a floating tensor.</summary>
    public long[] AsLongs() => Longs ?? throw new InvalidOperationException($"Golden tensor '{Name}' is floating, not int64.");
}
