using SanaSprint.Inference.Checkpoints;
using SanaSprint.Inference.Models;

namespace SanaSprint.Inference.Pipeline;

/// <summary>
/// Where the preview autoencoder's two parts live, as <see cref="InferenceOptions.PreviewDecoderPath"/> names them: a
/// folder holding both (<c>taesana_encoder</c> and <c>taesana_decoder</c>, <c>.pth</c> or <c>.safetensors</c>), or the two
/// files as <c>ENCODER;DECODER</c>.
/// </summary>
/// <param name="Encoder">The encoder's file, or the folder.</param>
/// <param name="Decoder">The decoder's file, or the folder.</param>
public sealed record PreviewAutoencoderPaths(string Encoder, string Decoder)
{
    /// <summary>The configuration key, named in every error.</summary>
    public const string OptionKey = "Inference:PreviewDecoderPath";

    /// <summary>The value that turns the preview autoencoder off, also the default checkpoint's own one.</summary>
    public const string None = "none";

    /// <summary>Separates the encoder's and the decoder's file in the two-file form.</summary>
    public const char Separator = ';';

    /// <summary>The folder both parts are read from.</summary>
    /// <param name="directory">A folder with <c>taesana_encoder</c> and <c>taesana_decoder</c> weights.</param>
    public static PreviewAutoencoderPaths Folder(string directory) => new(directory, directory);

    /// <summary>
    /// Reads the option's value: <c>null</c> for <see cref="None"/>; a folder; or <c>ENCODER;DECODER</c>, two existing
    /// files (relative paths resolve against the current folder).
    /// </summary>
    /// <param name="value">The configured value (not empty).</param>
    /// <exception cref="GeneratorUnavailableException">A path that does not exist, a file given alone, a file in the
    /// wrong place, or more than two parts; the message names <see cref="OptionKey"/>.</exception>
    public static PreviewAutoencoderPaths? Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        string trimmed = value.Trim();
        if (string.Equals(trimmed, None, StringComparison.OrdinalIgnoreCase)) return null;
        var parts = trimmed.Split(Separator, StringSplitOptions.TrimEntries);
        if (parts.Length == 1)
        {
            string folder = Path.GetFullPath(parts[0]);
            if (Directory.Exists(folder)) return Folder(folder);
            throw new GeneratorUnavailableException(File.Exists(folder)
                ? $"`{OptionKey}` is the file '{folder}': give the folder holding both parts, or both files as ENCODER{Separator}DECODER."
                : $"`{OptionKey}` names '{folder}', which does not exist (a folder, or two files as ENCODER{Separator}DECODER, or '{None}').");
        }
        if (parts.Length != 2 || parts.Any(string.IsNullOrEmpty))
            throw new GeneratorUnavailableException(
                $"`{OptionKey}` has {parts.Length} parts separated by '{Separator}' ('{trimmed}'); the two-file form is ENCODER{Separator}DECODER.");
        string encoder = CheckFile(parts[0], TinyAutoencoderPart.Encoder), decoder = CheckFile(parts[1], TinyAutoencoderPart.Decoder);
        return new PreviewAutoencoderPaths(encoder, decoder);
    }

    private static string CheckFile(string path, TinyAutoencoderPart part)
    {
        string full = Path.GetFullPath(path);
        string name = part.ToString().ToLowerInvariant();
        if (!File.Exists(full))
            throw new GeneratorUnavailableException($"`{OptionKey}`: the {name} file '{full}' does not exist (the two-file form is ENCODER{Separator}DECODER).");
        var named = TinyAutoencoderCheckpoint.PartOfName(full);
        if (named is not null && named != part)
            throw new GeneratorUnavailableException(
                $"`{OptionKey}`: '{Path.GetFileName(full)}' is given as the {name} but its name says {named.ToString()!.ToLowerInvariant()} (the order is ENCODER{Separator}DECODER).");
        return full;
    }

    /// <inheritdoc />
    public override string ToString() => Encoder == Decoder ? Encoder : $"{Encoder}{Separator}{Decoder}";
}
