using Bunit;
using SanaSprint.Web.Components.Room;
using SanaSprint.Web.Tests.TestComponents;

namespace SanaSprint.Web.Tests.Components;

public sealed class FrameDecoderTests : UiTestContext
{
    [Theory]
    [InlineData("preview", "preview decode")]
    [InlineData("full", "full decode")]
    public void TheDecoderIsShownNextToTheStepCount(string decoder, string text)
    {
        var cut = Render<FrameView>(p => p.Add(x => x.Frame, FrameViewTests.Frame() with { Decoder = decoder }));

        var meta = cut.Find("[data-testid=frame-meta]");
        Assert.Equal(text, cut.Find("[data-testid=frame-decoder]").TextContent);
        Assert.Contains($"2 steps {text}", System.Text.RegularExpressions.Regex.Replace(meta.TextContent, @"\s+", " "), StringComparison.Ordinal);
    }

    [Fact]
    public void TheFrameEventCarriesTheDecoderAndOlderFramesMeanTheFullOne()
    {
        var state = new RoomState();
        string Json(string? decoder) =>
            "{\"revision\":3,\"contentType\":\"image/jpeg\",\"width\":64,\"height\":64,\"steps\":2,\"seed\":1,\"prompt\":\"p\",\"modelName\":\"m\"," +
            "\"isRefinement\":false,\"timings\":{\"queueMs\":0,\"rasterMs\":0,\"textMs\":0,\"controlEncodeMs\":0,\"stepsMs\":[1],\"decodeMs\":0," +
            "\"modelMs\":1,\"encodeMs\":0,\"serverMs\":1,\"batchSize\":1},\"endToEndMs\":null,\"bytes\":10" +
            (decoder is null ? "" : $",\"decoder\":\"{decoder}\"") + "}";

        state.Apply("frame", Json("preview"));
        Assert.Equal("preview", state.LastFrame!.Decoder);

        state.Apply("frame", Json(null));
        Assert.Equal("full", state.LastFrame!.Decoder);
    }
}
