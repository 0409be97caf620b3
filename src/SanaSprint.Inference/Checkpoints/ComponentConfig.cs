using System.Text.Json;
using System.Text.Json.Serialization;

namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// A component's <c>config.json</c> as diffusers writes it: <c>_class_name</c> plus the constructor arguments.
/// Typed records (<see cref="SanaTransformer2DConfig"/>, ...) are read from it by <see cref="Deserialize{T}"/>.
/// </summary>
/// <param name="Path">The <c>config.json</c> file.</param>
/// <param name="ClassName">The <c>_class_name</c> value.</param>
/// <param name="Json">The file's text.</param>
public sealed record ComponentConfig(string Path, string ClassName, string Json)
{
    /// <summary>Options used for every config record: diffusers' snake_case names come from attributes, numbers may be
    /// written as floats (<c>1e-06</c>) or ints, and unknown keys are ignored as diffusers ignores them.</summary>
    public static readonly JsonSerializerOptions SerializerOptions = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The folder holding the config (the component folder).</summary>
    public string Directory => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;

    /// <summary>Reads <c>config.json</c> from a component folder, or a config file given directly.</summary>
    /// <exception cref="CheckpointException">Missing file, invalid JSON or no <c>_class_name</c>.</exception>
    public static ComponentConfig Load(string folderOrFile)
    {
        ArgumentNullException.ThrowIfNull(folderOrFile);
        string path = System.IO.Directory.Exists(folderOrFile) ? System.IO.Path.Combine(folderOrFile, "config.json") : folderOrFile;
        if (!File.Exists(path))
            throw new CheckpointException(path, null, "file not found.");
        string json = File.ReadAllText(path);
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, null, "is not a JSON object.");
            if (doc.RootElement.TryGetProperty("_class_name", out var cls) && cls.ValueKind == JsonValueKind.String)
                return new ComponentConfig(path, cls.GetString()!, json);
            // transformers configs (the text encoder) name their class in "architectures" instead.
            if (doc.RootElement.TryGetProperty("architectures", out var arch) && arch.ValueKind == JsonValueKind.Array
                && arch.GetArrayLength() > 0 && arch[0].ValueKind == JsonValueKind.String)
                return new ComponentConfig(path, arch[0].GetString()!, json);
            throw new CheckpointException(path, null, "has no '_class_name' (nor a transformers 'architectures' list).");
        }
        catch (JsonException ex)
        {
            throw new CheckpointException(path, null, $"is not valid JSON ({ex.Message}).", ex);
        }
    }

    /// <summary>Deserializes the typed record of this config.</summary>
    /// <exception cref="CheckpointException">A value has the wrong type.</exception>
    public T Deserialize<T>() where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Json, SerializerOptions) ?? throw new CheckpointException(Path, null, "is empty.");
        }
        catch (JsonException ex)
        {
            throw new CheckpointException(Path, null, $"has a bad value at {ex.Path}: {ex.Message}", ex);
        }
    }

    /// <summary>Serialises a config record with its <c>_class_name</c> first, as diffusers writes <c>config.json</c>.</summary>
    public static string ToJson(string className, object config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var node = JsonSerializer.SerializeToNode(config, config.GetType(), SerializerOptions)!.AsObject();
        var result = new System.Text.Json.Nodes.JsonObject { ["_class_name"] = className };
        foreach (var (k, v) in node) result[k] = v?.DeepClone();
        return result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Fails unless <see cref="ClassName"/> is one of the given names.</summary>
    /// <exception cref="CheckpointException">Another class.</exception>
    public void ExpectClass(params string[] names)
    {
        if (!names.Contains(ClassName, StringComparer.Ordinal))
            throw new CheckpointException(Path, null, $"has _class_name '{ClassName}'; expected {string.Join(" or ", names.Select(n => $"'{n}'"))}.");
    }
}

/// <summary>Reads a JSON value that diffusers allows to be either one string or a list of strings.</summary>
public sealed class StringOrArrayConverter : JsonConverter<string[]>
{
    /// <inheritdoc />
    public override string[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
            return [reader.GetString()!];
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException("expected a string or a list of strings");
        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
                throw new JsonException("expected a list of strings");
            list.Add(reader.GetString()!);
        }
        return list.ToArray();
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, string[] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var s in value) writer.WriteStringValue(s);
        writer.WriteEndArray();
    }
}
