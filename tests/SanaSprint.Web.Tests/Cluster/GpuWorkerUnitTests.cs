using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Cluster.Rendering;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// The GPU role's rules that need no cluster: which GPU a new renderer goes to given the silos' loads, and the warm-up
/// that a GPU silo's start waits for.
/// </summary>
public sealed class GpuWorkerUnitTests
{
    private static readonly SiloAddress A = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);
    private static readonly SiloAddress B = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 1);
    private static readonly SiloAddress C = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11113), 1);

    [Theory]
    [InlineData(3, 5, 9, 10, "A")]   // fewest renderers
    [InlineData(10, 4, 12, 10, "B")] // A is full
    [InlineData(12, 11, 13, 10, "B")] // all full: still the fewest (it sheds its idlest)
    [InlineData(0, 0, 0, 10, "?")]   // a tie: any of them
    public void ARendererGoesToTheGpuWithTheFewestRenderersUnderMaxRooms(int a, int b, int c, int maxRooms, string expected)
    {
        var load = new Dictionary<SiloAddress, int> { [A] = a, [B] = b, [C] = c };
        var chosen = Enumerable.Range(0, 50).Select(seed => RendererPlacementDirector.Choose([A, B, C], load, maxRooms, new Random(seed))).ToHashSet();

        Assert.Equal(expected switch { "A" => [A], "B" => [B], _ => new HashSet<SiloAddress> { A, B, C } }, chosen);
    }

    [Fact]
    public void WithNoGpuSiloThereIsNoPlace() =>
        Assert.Throws<NoGpuWorkerException>(() => RendererPlacementDirector.Choose([], new Dictionary<SiloAddress, int>(), 10, new Random(1)));

    [Fact]
    public async Task AGpuSiloJoinsOnlyWithAnAvailableModelAndSaysWhyNot()
    {
        var broken = new FakeImageGenerator { Info = new GeneratorInfo { ModelName = "x", IsAvailable = false, UnavailableReason = "no checkpoint at /models" } };
        var brokenGate = new GpuWarmupGate(broken, NullLogger<GpuWarmupGate>.Instance);
        var gate = new GpuWarmupGate(new FakeImageGenerator(), NullLogger<GpuWarmupGate>.Instance);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => brokenGate.WaitForModelAsync(CancellationToken.None));
        var warmBefore = gate.IsWarm;
        await gate.WaitForModelAsync(CancellationToken.None);

        Assert.Contains("no checkpoint at /models", refused.Message);
        Assert.False(brokenGate.IsWarm);
        Assert.Equal((false, true), (warmBefore, gate.IsWarm));
    }
}
