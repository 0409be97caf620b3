using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Rooms;
using SkiaSharp;

namespace SanaSprint.E2E;

/// <summary>The sketch and frame downloads: real PNGs whose text chunks say what made them.</summary>
[Collection(PaintingAppCollection.Name)]
public sealed class Downloads(PaintingGeneratorAppFixture app)
{
    [BrowserFact]
    public async Task TheDownloadedSketchAndFramePngsCarryPromptSeedStepsAndModel()
    {
        var roomId = app.CreateRoom();
        await using var context = await app.NewContextAsync();
        var room = await RoomPage.OpenAsync(context, roomId, "Dana");
        await room.DrawStrokeAsync();
        var snapshot = (await app.Services.GetRequiredService<IRoomDirectory>().GetViewAsync(roomId));
        await room.WaitForFrameAsync(snapshot.Revision);

        var sketch = await DownloadAsync(room, "download-sketch");
        var frame = await DownloadAsync(room, "download-frame");

        var sketchText = ReadText(sketch);
        Assert.Equal(snapshot.Prompt, sketchText["prompt"]);
        Assert.Equal(snapshot.Settings.Seed.ToString(), sketchText["seed"]);
        Assert.Equal(snapshot.Settings.Steps.ToString(), sketchText["steps"]);
        Assert.Equal("painting stand-in", sketchText["model"]);
        using (var image = SKBitmap.Decode(sketch))
        {
            Assert.Equal((snapshot.CanvasWidth, snapshot.CanvasHeight), (image.Width, image.Height));
            Assert.Contains(Enumerable.Range(0, image.Width), x => image.GetPixel(x, image.Height / 2).Red < 100);
        }

        var frameText = ReadText(frame);
        var shown = (await app.Services.GetRequiredService<IRoomDirectory>().GetViewAsync(roomId)).LastFrame!;
        Assert.Equal(shown.Prompt, frameText["prompt"]);
        Assert.Equal(shown.Seed.ToString(), frameText["seed"]);
        Assert.Equal("painting stand-in", frameText["model"]);
        Assert.True(int.Parse(frameText["steps"]) is >= 1 and <= 4);
        using var frameImage = SKBitmap.Decode(frame);
        Assert.Equal((shown.Width, shown.Height), (frameImage.Width, frameImage.Height));
    }

    private static async Task<byte[]> DownloadAsync(RoomPage room, string testId)
    {
        var download = await room.Page.RunAndWaitForDownloadAsync(() => room.Page.GetByTestId(testId).ClickAsync(), new() { Timeout = RoomPage.TimeoutMs });
        Assert.EndsWith(".png", download.SuggestedFilename, StringComparison.Ordinal);
        var path = await download.PathAsync();
        return await File.ReadAllBytesAsync(path);
    }

    /// <summary>Reads tEXt (Latin-1) and iTXt (UTF-8, uncompressed) chunks; checks the signature and every chunk's CRC.</summary>
    private static Dictionary<string, string> ReadText(byte[] png)
    {
        Assert.Equal(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, png[..8]);
        var text = new Dictionary<string, string>();
        for (var at = 8; at + 12 <= png.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)), Crc32(png.AsSpan(at + 4, 4 + length)));
            var zero = data.IndexOf((byte)0);
            if (type == "tEXt") text[Encoding.Latin1.GetString(data[..zero])] = Encoding.Latin1.GetString(data[(zero + 1)..]);
            if (type == "iTXt")
            {
                var rest = data[(zero + 3)..];
                rest = rest[(rest.IndexOf((byte)0) + 1)..];
                rest = rest[(rest.IndexOf((byte)0) + 1)..];
                text[Encoding.Latin1.GetString(data[..zero])] = Encoding.UTF8.GetString(rest);
            }

            if (type == "IEND") break;
            at += 12 + length;
        }

        return text;
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit: slow and obviously right.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
