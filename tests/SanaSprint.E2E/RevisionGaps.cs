namespace SanaSprint.E2E;

/// <summary>
/// The browser's check for a missed room event (<c>wwwroot/js/revisionGaps.js</c>): a revision skipped with no own call in
/// flight makes the room page read the room again; a skipped revision that the reply of an own call fills is no gap.
/// </summary>
[Collection(PaintingAppCollection.Name)]
public sealed class RevisionGaps(PaintingGeneratorAppFixture app)
{
    [BrowserFact]
    public async Task ASkippedRevisionIsAGapOnlyOnceNoOwnCallCanStillBringIt()
    {
        await using var context = await app.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");

        var answers = await page.EvaluateAsync<bool[]>("""
            async () => {
                const { RevisionGaps } = await import("/js/revisionGaps.js");
                const gaps = new RevisionGaps(10);
                gaps.see(11); gaps.see(11); gaps.see(9);
                const inOrder = gaps.hasGap(0);
                gaps.see(13);                          // 12 is missing
                const whileOwnCallInFlight = gaps.hasGap(1);
                const onceSettled = gaps.hasGap(0);
                gaps.see(12);                          // the reply of the own call was 12
                const filled = gaps.hasGap(0);
                gaps.reset(20); gaps.see(22);          // after a new snapshot at 20, 21 is missing
                const afterReset = gaps.hasGap(0);
                return [inOrder, whileOwnCallInFlight, onceSettled, filled, afterReset];
            }
            """);

        Assert.Equal([false, false, true, false, true], answers);
    }
}
