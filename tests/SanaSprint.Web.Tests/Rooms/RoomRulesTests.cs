using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Tests.Rooms;

public sealed class RoomRulesTests
{
    private static readonly FrameSettings Valid = new(2, 7, false, GuidanceMode.ControlNet, 0.6f, 1f, null);

    [Fact]
    public void TheRangesAreStepsOneToFourSeedsBelowTwoToThe53StrengthZeroToOneControlScaleZeroToTwo()
    {
        Assert.Equal((1, 4), (RoomRules.MinSteps, RoomRules.MaxSteps));
        Assert.Equal(9_007_199_254_740_991L, RoomRules.MaxSeed);
        Assert.Equal((0f, 1f), (RoomRules.MinStrength, RoomRules.MaxStrength));
        Assert.Equal((0f, 2f), (RoomRules.MinControlScale, RoomRules.MaxControlScale));
    }

    [Fact]
    public void ValidSettingsPassAtTheEdgesOfEveryRange()
    {
        Assert.Null(RoomRules.CheckSettings(Valid));
        Assert.Null(RoomRules.CheckSettings(Valid with { Steps = 1, Seed = 0, Strength = 0, ControlScale = 0 }));
        Assert.Null(RoomRules.CheckSettings(Valid with { Steps = 4, Seed = RoomRules.MaxSeed, Strength = 1, ControlScale = 2 }));
    }

    [Theory]
    [InlineData(0, 1L, 0.5f, 1f, "`settings.steps` must be 1–4 but is 0.")]
    [InlineData(5, 1L, 0.5f, 1f, "`settings.steps` must be 1–4 but is 5.")]
    [InlineData(2, -1L, 0.5f, 1f, "`settings.seed` must be within [0, 2^53 − 1] but is -1.")]
    [InlineData(2, 9_007_199_254_740_992L, 0.5f, 1f, "`settings.seed` must be within [0, 2^53 − 1] but is 9007199254740992.")]
    [InlineData(2, 1L, 1.5f, 1f, "`settings.strength` must be within [0, 1] but is 1.5.")]
    [InlineData(2, 1L, float.NaN, 1f, "`settings.strength` must be within [0, 1] but is NaN.")]
    [InlineData(2, 1L, 0.5f, 2.5f, "`settings.controlScale` must be within [0, 2] but is 2.5.")]
    public void EachBrokenRangeIsNamedWithItsValue(int steps, long seed, float strength, float controlScale, string expected)
    {
        Assert.Equal(expected, RoomRules.CheckSettings(Valid with { Steps = steps, Seed = seed, Strength = strength, ControlScale = controlScale }));
    }

    [Fact]
    public void AnUndefinedModeAndMissingSettingsAreRefused()
    {
        Assert.StartsWith("`settings.mode` must be one of Text, ", RoomRules.CheckSettings(Valid with { Mode = (GuidanceMode)42 }));
        Assert.Equal("`settings` must not be null.", RoomRules.CheckSettings(null));
    }

    [Fact]
    public void NewSeedsAreDrawnFromTheirOwnRangeInsideTheSeedRange()
    {
        var random = new Random(1);
        var seeds = Enumerable.Range(0, 1000).Select(_ => RoomRules.NewSeed(random)).ToList();

        Assert.All(seeds, s => Assert.InRange(s, 0, RoomRules.NewSeedLimit - 1));
        Assert.True(RoomRules.NewSeedLimit <= RoomRules.MaxSeed);
        Assert.True(seeds.Distinct().Count() > 990);
    }

    [Theory]
    [InlineData(512, 512, 32, true)]
    [InlineData(64, 96, 32, true)]
    [InlineData(100, 512, 32, false)]
    [InlineData(512, 48, 32, false)]
    [InlineData(48, 48, 16, true)]
    [InlineData(8, 8, 16, false)]
    public void FrameSidesAreMultiplesOfTheModelsVaeScaleFactor(int width, int height, int factor, bool ok)
    {
        var problems = RoomRules.CheckFrameSize(width, height, factor);

        Assert.Equal(ok, problems.Count == 0);
        Assert.All(problems, p => Assert.Contains($"multiple of {factor}", p.Message));
    }

    [Fact]
    public void AFrameSizeProblemNamesTheSide()
    {
        var problems = RoomRules.CheckFrameSize(100, 512, 32);

        var (name, message) = Assert.Single(problems);
        Assert.Equal("Width", name);
        Assert.Equal("`Width` must be a positive multiple of 32 (the model's VAE scale factor) but is 100.", message);
    }
}
