using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web.Rooms;

/// <summary>
/// The ranges of a room's settings and of the frame size, in one place: the room editor checks settings against them,
/// new seeds are drawn from them, the settings panel shows them, and the scheduler's frame size is validated with them.
/// </summary>
public static class RoomRules
{
    /// <summary>Fewest sCM steps of a frame.</summary>
    public const int MinSteps = 1;

    /// <summary>Most sCM steps of a frame (SANA-Sprint's step-adaptive range).</summary>
    public const int MaxSteps = 4;

    /// <summary>Largest seed: 2^53 − 1, so browsers hold it exactly.</summary>
    public const long MaxSeed = (1L << 53) - 1;

    /// <summary>New seeds are drawn from [0, <see cref="NewSeedLimit"/>): small enough to read out and type back.</summary>
    public const long NewSeedLimit = int.MaxValue;

    /// <summary>Smallest img2img strength.</summary>
    public const float MinStrength = 0f;

    /// <summary>Largest img2img strength.</summary>
    public const float MaxStrength = 1f;

    /// <summary>Smallest ControlNet conditioning scale.</summary>
    public const float MinControlScale = 0f;

    /// <summary>Largest ControlNet conditioning scale.</summary>
    public const float MaxControlScale = 2f;

    /// <summary>A new seed, uniform in [0, <see cref="NewSeedLimit"/>).</summary>
    /// <param name="random">The source (defaults to <see cref="Random.Shared"/>).</param>
    public static long NewSeed(Random? random = null) => (random ?? Random.Shared).NextInt64(0, NewSeedLimit);

    /// <summary>Why <paramref name="settings"/> break a rule, naming the argument, or null when they keep every rule.</summary>
    /// <param name="settings">The settings to check.</param>
    public static string? CheckSettings(FrameSettings? settings)
    {
        if (settings is null) return "`settings` must not be null.";
        if (settings.Steps is < MinSteps or > MaxSteps) return $"`settings.steps` must be {MinSteps}–{MaxSteps} but is {settings.Steps}.";
        if (settings.Seed is < 0 or > MaxSeed) return $"`settings.seed` must be within [0, 2^53 − 1] but is {settings.Seed}.";
        if (!Enum.IsDefined(settings.Mode))
            return $"`settings.mode` must be one of {string.Join(", ", Enum.GetNames<GuidanceMode>())} but is {(int)settings.Mode}.";
        if (!float.IsFinite(settings.Strength) || settings.Strength < MinStrength || settings.Strength > MaxStrength)
            return $"`settings.strength` must be within [{MinStrength}, {MaxStrength}] but is {settings.Strength}.";
        if (!float.IsFinite(settings.ControlScale) || settings.ControlScale < MinControlScale || settings.ControlScale > MaxControlScale)
            return $"`settings.controlScale` must be within [{MinControlScale}, {MaxControlScale}] but is {settings.ControlScale}.";
        return null;
    }

    /// <summary>
    /// Why a frame size does not suit the model, or null when it does: each side must be a positive multiple of the
    /// autoencoder's scale factor (<see cref="GeneratorInfo.VaeScaleFactor"/>), so the latent grid covers the frame exactly.
    /// </summary>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="vaeScaleFactor">Pixels per latent cell.</param>
    /// <returns>One sentence per side that breaks the rule, or an empty list.</returns>
    public static IReadOnlyList<(string Name, string Message)> CheckFrameSize(int width, int height, int vaeScaleFactor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vaeScaleFactor, 1);
        List<(string, string)> problems = [];
        if (width < vaeScaleFactor || width % vaeScaleFactor != 0)
            problems.Add(("Width", $"`Width` must be a positive multiple of {vaeScaleFactor} (the model's VAE scale factor) but is {width}."));
        if (height < vaeScaleFactor || height % vaeScaleFactor != 0)
            problems.Add(("Height", $"`Height` must be a positive multiple of {vaeScaleFactor} (the model's VAE scale factor) but is {height}."));
        return problems;
    }
}
