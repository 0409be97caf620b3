using System.ComponentModel.DataAnnotations;

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

    /// <summary>sCM steps of the refinement frame; no refinement when not more than the room's live steps.</summary>
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
    /// Pre-emption: how far a model run may have got and still be cancelled when every room in it has a newer revision and
    /// no other room is waiting, so the newest revision starts at once instead of after the stale run. <c>none</c>;
    /// <c>prepare</c> (until the prompt and sketch are encoded); <c>first-step</c> (until the first denoising step has
    /// ended); <c>last-step</c> (until the last denoising step has ended, before the decoder). A run past that point always
    /// completes and its frame is shown. The pipeline honours a cancellation at the next stage boundary.
    /// </summary>
    /// <remarks>Defaults to <c>first-step</c>.</remarks>
    [RegularExpression("^(none|prepare|first-step|last-step)$")]
    public string Preemption { get; set; } = "first-step";

    /// <summary>Most runs of one room pre-empted in a row; the next one always completes, so a room that never stops
    /// changing still gets frames.</summary>
    /// <remarks>Defaults to <c>1</c>: at most one cancelled run between two frames of a room.</remarks>
    [Range(1, 16)]
    public int MaxConsecutivePreemptions { get; set; } = 1;

    /// <summary>
    /// Overlap of model runs: <c>none</c> (one run at a time) or <c>decode</c> (the next run, of the newest revisions, may
    /// start as soon as the run in flight has entered its decode stage, so at most two runs overlap: one decoding, one in its
    /// text, prepare or denoising stages). Frames of a room still arrive in revision order: a frame that would arrive after a
    /// newer one of its room is dropped.
    /// </summary>
    /// <remarks>Defaults to <c>none</c>.</remarks>
    [RegularExpression("^(none|decode)$")]
    public string RunOverlap { get; set; } = "none";
}
