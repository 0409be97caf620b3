namespace SanaSprint.Inference.Checkpoints;

/// <summary>
/// A diffusers pipeline folder as <c>huggingface-cli download</c> writes it: <c>model_index.json</c> plus one
/// sub-folder per component (<c>transformer/</c>, <c>vae/</c>, <c>text_encoder/</c>, <c>tokenizer/</c>,
/// <c>scheduler/</c>), each with its config and weights.
/// </summary>
/// <remarks>Every file is untrusted input and validated where it is read; errors name the file.</remarks>
public sealed class DiffusersFolder
{
    private DiffusersFolder(string root, ModelIndex index)
    {
        Root = root;
        Index = index;
    }

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <summary>The parsed <c>model_index.json</c>.</summary>
    public ModelIndex Index { get; }

    /// <summary>Opens a pipeline folder by reading its <c>model_index.json</c>.</summary>
    /// <exception cref="CheckpointException">The folder or its <c>model_index.json</c> is missing or malformed.</exception>
    public static DiffusersFolder Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path))
            throw new CheckpointException(path, null, "folder not found.");
        var index = ModelIndex.Load(Path.Combine(path, "model_index.json"));
        return new DiffusersFolder(Path.GetFullPath(path), index);
    }

    /// <summary>True when <c>model_index.json</c> lists the component.</summary>
    public bool HasComponent(string name) => Index.Components.ContainsKey(name);

    /// <summary>The sub-folder of a component listed in <c>model_index.json</c>.</summary>
    /// <exception cref="CheckpointException">The component is not listed, or its folder is missing.</exception>
    public string ComponentPath(string name)
    {
        if (!Index.Components.ContainsKey(name))
            throw new CheckpointException(Index.Path, null,
                $"lists no component '{name}' (components: {string.Join(", ", Index.Components.Keys)}).");
        string dir = Path.Combine(Root, name);
        if (!Directory.Exists(dir))
            throw new CheckpointException(dir, null, $"folder not found (component '{name}' of {Path.GetFileName(Index.Path)}).");
        return dir;
    }

    /// <summary>The <c>config.json</c> of a model component, checked against the class <c>model_index.json</c> names.</summary>
    /// <exception cref="CheckpointException">Missing or malformed config, or a class mismatch.</exception>
    public ComponentConfig ComponentConfig(string name)
    {
        var config = Checkpoints.ComponentConfig.Load(ComponentPath(name));
        string expected = Index.Components[name].ClassName;
        if (config.ClassName != expected)
            throw new CheckpointException(config.Path, null,
                $"has _class_name '{config.ClassName}' but model_index.json lists '{expected}' for '{name}'.");
        return config;
    }

    /// <summary>Opens the weights of a model component (single file or sharded).</summary>
    /// <exception cref="CheckpointException">Missing or malformed weights.</exception>
    public SafetensorsCheckpoint OpenWeights(string name) => SafetensorsCheckpoint.Open(ComponentPath(name));
}
