using System.Globalization;
using System.Text.Json;

namespace SanaSprint.Inference.Verification;

/// <summary>What <see cref="ComponentBench.Run"/> measured: one row per component the checkpoint has.</summary>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Warmup">Unmeasured calls before each component's measured ones.</param>
/// <param name="Provider">The execution provider that ran the graphs.</param>
/// <param name="Precision">The graphs' precision.</param>
/// <param name="Rows">The timings, in pipeline order.</param>
/// <param name="Skipped">Components the checkpoint lacks, with the reason (e.g. no text encoder).</param>
public sealed record ComponentBenchResult(int Width, int Height, int Warmup, string Provider, string Precision,
    IReadOnlyList<ComponentTiming> Rows, IReadOnlyList<string> Skipped)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Writes a Markdown table: component, runs, median ms, p90 ms.</summary>
    /// <param name="output">Where to write.</param>
    public void WriteTable(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("| component | runs | median ms | p90 ms |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (var r in Rows)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Component} | {r.Runs} | {r.MedianMs:F2} | {r.P90Ms:F2} |"));
        foreach (var s in Skipped) output.WriteLine($"(not measured: {s})");
    }

    /// <summary>The result as indented JSON (camelCase).</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
