// Browser tests run one at a time: each drives a real Chromium against a real server on a 2-core machine, and the
// tests that share the painting app share one server and one browser.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace SanaSprint.E2E;

/// <summary>The tests that run against one shared app with the painting stand-in generator.</summary>
[CollectionDefinition(Name)]
public sealed class PaintingAppCollection : ICollectionFixture<PaintingGeneratorAppFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "painting app";
}
