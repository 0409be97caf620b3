namespace SanaSprint.Inference.Onnx;

/// <summary>One node of a graph being built, as <see cref="GraphBuilder.Nodes"/> lists it.</summary>
/// <param name="Name">Node name, <c>{path}/{OpType}</c>.</param>
/// <param name="OpType">Operator.</param>
/// <param name="Inputs">Input value names (an omitted optional input is "").</param>
/// <param name="Outputs">Output value names.</param>
public sealed record GraphNodeInfo(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);
