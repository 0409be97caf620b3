using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Presets;

/// <summary>A frame a user chose to keep, with what made it.</summary>
public sealed record KeptResult
{
    /// <summary>Identifier (<c>k-</c> + random hex).</summary>
    public required string Id { get; init; }

    /// <summary>The room the frame came from; its members see the frame (<see cref="GalleryAccess.CanSee"/>).</summary>
    public required string RoomId { get; init; }

    /// <summary>The <see cref="GalleryOwner"/> id of the browser that kept the frame.</summary>
    public string OwnerId { get; init; } = "";

    /// <summary>The encoded frame (JPEG, PNG or WebP bytes as the scheduler sent them).</summary>
    public required byte[] Image { get; init; }

    /// <summary>MIME type of <see cref="Image"/>, e.g. <c>image/jpeg</c>.</summary>
    public string ContentType { get; init; } = "image/jpeg";

    /// <summary>The composed prompt the model saw.</summary>
    public string Prompt { get; init; } = "";

    /// <summary>Seed of the frame.</summary>
    public long Seed { get; init; }

    /// <summary>sCM steps of the frame.</summary>
    public int Steps { get; init; }

    /// <summary>Guidance mode of the frame.</summary>
    public GuidanceMode Mode { get; init; }

    /// <summary>Model display name.</summary>
    public string Model { get; init; } = "";

    /// <summary>Room revision the frame was rendered from.</summary>
    public long Revision { get; init; }

    /// <summary>When it was kept.</summary>
    public DateTimeOffset KeptAt { get; init; }

    /// <summary>The image as a <c>data:</c> URL for an <c>img</c> element.</summary>
    public string DataUrl => $"data:{ContentType};base64,{Convert.ToBase64String(Image)}";
}
