using System.ComponentModel.DataAnnotations;
using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Web;

/// <summary>How frames are scheduled, rendered and encoded; bound from the <c>SchedulerOptions</c> section and validated at start.</summary>
public sealed class SchedulerOptions
{
    /// <summary>Frame width in pixels (a multiple of the model's VAE scale factor, see <c>RoomRules.CheckFrameSize</c>).</summary>
    /// <remarks>Defaults to <c>512</c>.</remarks>
    [Range(32, 4096)]
    public int Width { get; set; } = 512;

    /// <summary>Frame height in pixels (a multiple of the model's VAE scale factor).</summary>
    /// <remarks>Defaults to <c>512</c>.</remarks>
    [Range(32, 4096)]
    public int Height { get; set; } = 512;

    /// <summary>Most rooms rendered in one model call.</summary>
    /// <remarks>Defaults to <c>4</c>.</remarks>
    [Range(1, 64)]
    public int BatchSize { get; set; } = 4;

    /// <summary>How long a room must be quiet before its refinement frame.</summary>
    /// <remarks>Defaults to 500 ms.</remarks>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RefineDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>sCM steps of the refinement frame (at least the room's live steps); no refinement when not more than the
    /// room's live steps, unless the live frames are decoded by the preview autoencoder (the refinement is then the full
    /// DC-AE decode).</summary>
    /// <remarks>Defaults to <c>4</c>.</remarks>
    [Range(1, 4)]
    public int RefineSteps { get; set; } = 4;

    /// <summary>Image format of frames: <c>jpeg</c> or <c>webp</c>.</summary>
    /// <remarks>Defaults to <c>jpeg</c>.</remarks>
    [RegularExpression("^(jpeg|webp)$")]
    public string Format { get; set; } = "jpeg";

    /// <summary>Encoder quality, 1–100.</summary>
    /// <remarks>Defaults to <c>85</c>.</remarks>
    [Range(1, 100)]
    public int Quality { get; set; } = 85;

    /// <summary>How often rooms waiting for an unavailable model check whether it became available.</summary>
    /// <remarks>Defaults to 1 s.</remarks>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan AvailabilityPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Pre-emption: when every room of the model run in flight has a newer revision and no other room is waiting, the run
    /// is cancelled if its first denoising step has not ended yet, so the newest revisions start at once instead of after
    /// the stale run. A run past the end of its first step always completes and its frame is shown, and a room's run right
    /// after a pre-empted one is never pre-empted, so a room that never stops changing still gets frames.
    /// </summary>
    /// <remarks>Defaults to <c>true</c>.</remarks>
    public bool Preemption { get; set; } = true;

    /// <summary>
    /// The frames the scheduler serves with these options, for the model's warm-up: this frame size, every batch size up to
    /// <see cref="BatchSize"/>, live frames of <paramref name="liveSteps"/> steps with the preview autoencoder and refinement
    /// frames of <see cref="RefineSteps"/> steps with the DC-AE (see <c>RunCoordinator</c>).
    /// </summary>
    /// <param name="liveSteps">Live steps of a new room (<c>RoomOptions.DefaultSteps</c>).</param>
    /// <returns>The served frames.</returns>
    public ServedFrames ServedFrames(int liveSteps) => new(Width, Height, BatchSize, liveSteps, RefineSteps, FrameDecoder.Preview);
}
