using System.Text.Json;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>One entry of <c>model_index.json</c>: component → [library, class].</summary>
/// <param name="Name">Component (and sub-folder) name, e.g. <c>transformer</c>.</param>
/// <param name="Library">Library, e.g. <c>diffusers</c> or <c>transformers</c>.</param>
/// <param name="ClassName">Class, e.g. <c>SanaTransformer2DModel</c>.</param>
public sealed record ModelIndexComponent(string Name, string Library, string ClassName);

/// <summary>A diffusers pipeline's <c>model_index.json</c>.</summary>
/// <param name="Path">The file.</param>
/// <param name="ClassName">The pipeline class (<c>_class_name</c>), e.g. <c>SanaSprintPipeline</c>.</param>
/// <param name="Components">Components by name; entries written as <c>[null, null]</c> (absent components) are skipped.</param>
public sealed record ModelIndex(string Path, string ClassName, IReadOnlyDictionary<string, ModelIndexComponent> Components)
{
    /// <summary>Reads and validates <c>model_index.json</c>.</summary>
    /// <exception cref="CheckpointException">Missing file, invalid JSON, or a malformed component entry.</exception>
    public static ModelIndex Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new CheckpointException(path, null, "file not found.");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, null, "is not a JSON object.");
            if (!root.TryGetProperty("_class_name", out var cls) || cls.ValueKind != JsonValueKind.String)
                throw new CheckpointException(path, null, "has no '_class_name'.");
            var components = new Dictionary<string, ModelIndexComponent>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
            {
                if (p.Name.StartsWith('_') || p.Value.ValueKind != JsonValueKind.Array)
                    continue; // _class_name, _diffusers_version, _name_or_path, and plain settings such as booleans
                var items = p.Value.EnumerateArray().ToArray();
                if (items.Length != 2)
                    throw new CheckpointException(path, null, $"component '{p.Name}' must be [library, class].");
                if (items[0].ValueKind == JsonValueKind.Null || items[1].ValueKind == JsonValueKind.Null)
                    continue;
                if (items[0].ValueKind != JsonValueKind.String || items[1].ValueKind != JsonValueKind.String)
                    throw new CheckpointException(path, null, $"component '{p.Name}' must be [library, class] strings.");
                components[p.Name] = new ModelIndexComponent(p.Name, items[0].GetString()!, items[1].GetString()!);
            }
            return new ModelIndex(path, cls.GetString()!, components);
        }
        catch (JsonException ex)
        {
            throw new CheckpointException(path, null, $"is not valid JSON ({ex.Message}).", ex);
        }
    }
}
