using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanaSprint.Web.Persistence.Migrations
{
    /// <summary>
    /// Owners in the gallery: each kept frame's owner and room as columns (the room backfilled from its JSON), and which
    /// browsers joined which rooms. Frames kept before have no owner and are seen by their room's members only; presets
    /// saved before have no owner and stay private (hidden) — nobody can prove they made them.
    /// </summary>
    public partial class AddGalleryOwners : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "OwnerId",
                table: "kept_results",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "RoomId",
                table: "kept_results",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "room_members",
                columns: table => new
                {
                    RoomId = table.Column<string>(type: "TEXT", nullable: false),
                    OwnerId = table.Column<string>(type: "TEXT", nullable: false),
                    JoinedAtMs = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_room_members", x => new { x.RoomId, x.OwnerId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_kept_results_OwnerId",
                table: "kept_results",
                column: "OwnerId");

            migrationBuilder.CreateIndex(
                name: "IX_kept_results_RoomId",
                table: "kept_results",
                column: "RoomId");

            migrationBuilder.CreateIndex(
                name: "IX_room_members_OwnerId",
                table: "room_members",
                column: "OwnerId");

            migrationBuilder.Sql("UPDATE kept_results SET RoomId = coalesce(json_extract(Json, '$.roomId'), '');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "room_members");

            migrationBuilder.DropIndex(
                name: "IX_kept_results_OwnerId",
                table: "kept_results");

            migrationBuilder.DropIndex(
                name: "IX_kept_results_RoomId",
                table: "kept_results");

            migrationBuilder.DropColumn(
                name: "OwnerId",
                table: "kept_results");

            migrationBuilder.DropColumn(
                name: "RoomId",
                table: "kept_results");
        }
    }
}
