using Microsoft.Extensions.Logging.Abstractions;
using SanaSprint.Inference.Demo;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Inference.Runtime;

namespace SanaSprint.Inference.Tests.Pipeline;

/// <summary>
/// The demo checkpoint's components on the CPU provider with every session running through the binding path against
/// CPU memory standing in for the device, so that <see cref="OnnxSanaSprintComponents.Transfers"/> counts what a CUDA
/// session would copy between host and device.
/// </summary>
public sealed class StandInDeviceFixture : IDisposable
{
    private readonly TempFolder _cache = new("stand-in-device");

    public StandInDeviceFixture()
    {
        var paths = EmbeddedDemoCheckpoint.Instance.EnsureCreated(_cache.Path);
        var options = new InferenceOptions { Device = "cpu", IntraOpThreads = 2, CacheDirectory = _cache.Path };
        var cpu = new ExecutionProviderChoice(ExecutionProviderKind.Cpu, "cpu", "test", null);
        Components = SanaSprintLoader.LoadComponents(paths.PipelineDirectory, paths.ControlNetDirectory, options,
            new OnnxSessionFactory(cpu, options) { StandInDevice = true }, _cache.Path, NullLoggerFactory.Instance, "demo");
    }

    public OnnxSanaSprintComponents Components { get; }

    /// <summary>A pipeline over <see cref="Components"/> (not owned); <paramref name="hostResiduals"/> takes the residuals through the host.</summary>
    public SanaSprintPipeline Pipeline(bool hostResiduals = false) =>
        new(new InferenceOptions { WarmupSize = 0 }, () => new Lent(Components, hostResiduals, Components.Provider));

    /// <summary>A pipeline over <see cref="Components"/> that warms <paramref name="served"/> up as a CUDA host would (every batch size).</summary>
    public SanaSprintPipeline ServingAsCuda(ServedFrames served) =>
        new(new InferenceOptions { WarmupSize = served.Width }, () => new Lent(Components, false, "CUDA"), servedFrames: served);

    public void Dispose()
    {
        Components.Dispose();
        _cache.Dispose();
    }

    /// <summary>
    /// Lends the components to a pipeline. With <c>hostResiduals</c> the ControlNet-guided step is the interface's default
    /// (ControlNet, residuals to the host, transformer), which is how every step ran before the residuals stayed on the device.
    /// </summary>
    private sealed class Lent(OnnxSanaSprintComponents inner, bool hostResiduals, string provider) : ISanaSprintComponents
    {
        public SanaSprintModelInfo Info => inner.Info;
        public string Provider => provider;
        public TimeSpan RuntimeTime => inner.RuntimeTime;
        public IReadOnlyList<PromptEmbedding> EncodePrompts(IReadOnlyList<string> prompts) => inner.EncodePrompts(prompts);
        public float[] Transformer(TransformerCall call) => inner.Transformer(call);
        public IReadOnlyList<float[]> ControlNet(ControlNetCall call) => inner.ControlNet(call);
        public float[] ControlledTransformer(ControlNetCall call) =>
            hostResiduals ? Transformer(call.Step with { ControlBlocks = ControlNet(call) }) : inner.ControlledTransformer(call);
        public float[] EncodeImages(float[] images, int batch, int height, int width) => inner.EncodeImages(images, batch, height, width);
        public void Decode(float[] latents, int batch, int height, int width, Memory<float> destination) => inner.Decode(latents, batch, height, width, destination);
        public void DecodeToImage(float[] latents, int batch, int height, int width, Memory<byte> destination) => inner.DecodeToImage(latents, batch, height, width, destination);
        public void Dispose() { }
    }
}
