using SanaSprint.Inference.Pipeline;

namespace SanaSprint.Inference.Verification.Precision;

/// <summary>One frame made with the fp32 graphs and with their fp16 emulation from the same inputs.</summary>
/// <param name="Mode">Text-to-image or ControlNet.</param>
/// <param name="Seed">Noise seed.</param>
/// <param name="Prompt">Prompt.</param>
/// <param name="LatentRelativeRms">‖emulated − fp32‖ / ‖fp32‖ over the final latent.</param>
/// <param name="Psnr">PSNR of the emulated frame's RGB bytes against the fp32 frame's, in dB (peak 255; infinite when equal).</param>
public sealed record Fp16EmulationFrame(GuidanceMode Mode, long Seed, string Prompt, double LatentRelativeRms, double Psnr);
