using SanaSprint.Web.Components.Room;

namespace SanaSprint.Web.Tests.Components;

public sealed class DrawingPreferencesTests
{
    [Fact]
    public void DefaultsAreSideBySideWithPalmRejection()
    {
        Assert.Equal(new DrawingPreferences(false, 50, true), DrawingPreferences.Default);
        Assert.Equal("0.5", DrawingPreferences.Default.OpacityCss);
    }

    [Fact]
    public void WhatIsSerializedParsesBackTheSame()
    {
        var prefs = new DrawingPreferences(true, 35, false);

        Assert.Equal(prefs, DrawingPreferences.Parse(prefs.Serialize()));
        Assert.DoesNotContain("opacityCss", prefs.Serialize(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("\"overlay\"")]
    public void UnreadableStorageGivesTheDefaults(string? json) => Assert.Equal(DrawingPreferences.Default, DrawingPreferences.Parse(json));

    [Fact]
    public void MissingOrMistypedFieldsTakeTheirDefaultsAndTheOthersAreKept()
    {
        Assert.Equal(new DrawingPreferences(true, 50, true), DrawingPreferences.Parse("""{"overlay":true}"""));
        Assert.Equal(new DrawingPreferences(false, 50, false), DrawingPreferences.Parse("""{"overlay":"yes","overlayOpacity":"x","penOnly":false}"""));
    }

    [Theory]
    [InlineData(-20, 10)]
    [InlineData(0, 10)]
    [InlineData(10, 10)]
    [InlineData(75, 75)]
    [InlineData(100, 100)]
    [InlineData(250, 100)]
    public void TheOpacityIsClampedToTenToOneHundredPercent(int stored, int expected)
    {
        var prefs = DrawingPreferences.Parse($$"""{"overlay":true,"overlayOpacity":{{stored}}}""");

        Assert.Equal(expected, prefs.OverlayOpacity);
        Assert.Equal((expected / 100.0).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), prefs.OpacityCss);
    }
}
