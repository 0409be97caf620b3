using System.Text.Json;
using System.Text.Json.Serialization;

namespace SanaSprint.Web.Components.Room;

/// <summary>
/// How this browser shows the stage and treats fingers, kept in localStorage under <see cref="StorageKey"/>: the frame
/// beside the canvas or under the strokes (overlay, at <see cref="OverlayOpacity"/> percent), and whether fingers stop
/// drawing once a pen is in use (palm rejection).
/// </summary>
/// <param name="Overlay">True to show the frame under the strokes instead of beside the canvas.</param>
/// <param name="OverlayOpacity">The frame's opacity in overlay mode, in percent (<see cref="MinOpacity"/>–<see cref="MaxOpacity"/>).</param>
/// <param name="PenOnly">True to ignore fingers on the canvas once a pen has touched it (two-finger tap still undoes).</param>
public sealed record DrawingPreferences(bool Overlay, int OverlayOpacity, bool PenOnly)
{
    /// <summary>The browser's localStorage key.</summary>
    public const string StorageKey = "sanasprint.drawingPreferences";

    /// <summary>The faintest overlay, in percent: fainter would hide the frame it is meant to show.</summary>
    public const int MinOpacity = 10;

    /// <summary>The most opaque overlay, in percent.</summary>
    public const int MaxOpacity = 100;

    /// <summary>Side by side, frame at half opacity when overlaid, palm rejection on.</summary>
    public static DrawingPreferences Default { get; } = new(false, 50, true);

    /// <summary>The overlay opacity as a CSS number (0.1–1).</summary>
    [JsonIgnore]
    public string OpacityCss => (Math.Clamp(OverlayOpacity, MinOpacity, MaxOpacity) / 100.0).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads stored preferences; anything missing or unreadable takes its default, the opacity is clamped.</summary>
    /// <param name="json">The stored JSON, or null.</param>
    /// <returns>The preferences.</returns>
    public static DrawingPreferences Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return Default;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return Default;
            var root = doc.RootElement;
            return new DrawingPreferences(
                Bool(root, "overlay") ?? Default.Overlay,
                Math.Clamp(Int(root, "overlayOpacity") ?? Default.OverlayOpacity, MinOpacity, MaxOpacity),
                Bool(root, "penOnly") ?? Default.PenOnly);
        }
        catch (JsonException)
        {
            return Default;
        }
    }

    /// <summary>Writes the preferences for storage.</summary>
    public string Serialize() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    private static bool? Bool(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static int? Int(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
}
