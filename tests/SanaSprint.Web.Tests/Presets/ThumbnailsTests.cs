using SanaSprint.Web.Presets;
using SkiaSharp;

namespace SanaSprint.Web.Tests.Presets;

public sealed class ThumbnailsTests
{
    private static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(SKColors.CornflowerBlue);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static SKBitmap Decode(string dataUrl) => SKBitmap.Decode(Convert.FromBase64String(dataUrl["data:image/jpeg;base64,".Length..]));

    [Theory]
    [InlineData(1024, 512, 320, 160)]
    [InlineData(300, 600, 160, 320)]
    [InlineData(100, 80, 100, 80)]
    public void TheLongestSideIsAtMostTheLimitAndTheAspectIsKept(int width, int height, int expectedWidth, int expectedHeight)
    {
        var url = Thumbnails.ToDataUrl(Png(width, height));

        Assert.StartsWith("data:image/jpeg;base64,", url, StringComparison.Ordinal);
        using var thumb = Decode(url);
        Assert.Equal((expectedWidth, expectedHeight), (thumb.Width, thumb.Height));
    }

    [Fact]
    public void BytesThatAreNotAnImageAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Thumbnails.ToDataUrl([1, 2, 3, 4]));

        Assert.Contains("not a decodable image", ex.Message, StringComparison.Ordinal);
    }
}
