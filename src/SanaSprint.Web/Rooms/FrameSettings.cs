using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Rooms;

/// <summary>What shapes a room's frames besides the sketch and the prompt; the ranges are <see cref="RoomRules"/>'.</summary>
/// <param name="Steps">sCM steps of a live frame.</param>
/// <param name="Seed">Noise seed.</param>
/// <param name="SeedLocked">When false, a prompt change draws a new seed; when true the seed stays.</param>
/// <param name="Mode">How the sketch guides the frame (one of the model's supported modes).</param>
/// <param name="Strength">img2img strength.</param>
/// <param name="ControlScale">ControlNet conditioning scale.</param>
/// <param name="PresetId">The style preset applied last, or null.</param>
[GenerateSerializer, Immutable]
public sealed record FrameSettings(int Steps, long Seed, bool SeedLocked, GuidanceMode Mode, float Strength, float ControlScale, string? PresetId);
