namespace SanaSprint.Inference.Checkpoints;

/// <summary>Element types this project reads from safetensors files (the header's <c>dtype</c> strings).</summary>
public enum SafetensorsDType
{
    /// <summary><c>F32</c>: IEEE float32.</summary>
    F32,
    /// <summary><c>F16</c>: IEEE float16.</summary>
    F16,
    /// <summary><c>BF16</c>: bfloat16 (the upper half of a float32).</summary>
    BF16,
    /// <summary><c>I64</c>: little-endian int64 (golden text masks).</summary>
    I64,
}

/// <summary>Helpers for <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => 4,
        SafetensorsDType.F16 => 2,
        SafetensorsDType.BF16 => 2,
        SafetensorsDType.I64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Parses a header dtype string; returns false for types this project does not read.</summary>
    public static bool TryParse(string text, out SafetensorsDType dtype)
    {
        switch (text)
        {
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The header spelling of a dtype.</summary>
    public static string ToHeaderString(this SafetensorsDType dtype) => dtype.ToString();
}
