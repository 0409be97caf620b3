using SanaSprint.Inference.Pipeline;
using SanaSprint.Web.Presets;
using SanaSprint.Web.Rooms;
using SanaSprint.Web.Tests.Rooms;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>The room contract on a web node's directory over the test cluster: the same rules, each room one grain.</summary>
/// <param name="cluster">The test cluster (one per class).</param>
public sealed class ClusterRoomDirectoryTests(RoomClusterFixture cluster) : RoomDirectoryContract, IClassFixture<RoomClusterFixture>
{
    /// <inheritdoc />
    protected override SessionRooms CreateRooms(RoomOptions options, IModelInfo? model = null, IGalleryStore? gallery = null)
    {
        // Rooms created from now on are activated with these rules (tests of one class run one after another).
        var editor = new RoomEditor(options, null, model, gallery);
        cluster.Editor = editor;
        return new SessionRooms(cluster.Directory("web-0", editor));
    }
}
