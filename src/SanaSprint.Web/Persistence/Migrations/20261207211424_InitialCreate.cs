using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanaSprint.Web.Persistence.Migrations
{
    /// <summary>Rooms, strokes, user presets and kept results.</summary>
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "kept_results",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    KeptAtMs = table.Column<long>(type: "INTEGER", nullable: false),
                    Json = table.Column<string>(type: "TEXT", nullable: false),
                    Image = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_kept_results", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "presets",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAtMs = table.Column<long>(type: "INTEGER", nullable: false),
                    Json = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_presets", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "rooms",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 22, nullable: false),
                    Prompt = table.Column<string>(type: "TEXT", nullable: false),
                    SettingsJson = table.Column<string>(type: "TEXT", nullable: false),
                    Revision = table.Column<long>(type: "INTEGER", nullable: false),
                    ParticipantCounter = table.Column<int>(type: "INTEGER", nullable: false),
                    ParticipantsJson = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAtMs = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_rooms", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "strokes",
                columns: table => new
                {
                    RoomId = table.Column<string>(type: "TEXT", nullable: false),
                    Id = table.Column<string>(type: "TEXT", nullable: false),
                    Seq = table.Column<long>(type: "INTEGER", nullable: false),
                    OwnerId = table.Column<string>(type: "TEXT", nullable: false),
                    Colour = table.Column<string>(type: "TEXT", nullable: false),
                    Width = table.Column<float>(type: "REAL", nullable: false),
                    Points = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Ended = table.Column<bool>(type: "INTEGER", nullable: false),
                    Visible = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_strokes", x => new { x.RoomId, x.Id });
                    table.ForeignKey(
                        name: "FK_strokes_rooms_RoomId",
                        column: x => x.RoomId,
                        principalTable: "rooms",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_kept_results_KeptAtMs",
                table: "kept_results",
                column: "KeptAtMs");

            migrationBuilder.CreateIndex(
                name: "IX_presets_CreatedAtMs",
                table: "presets",
                column: "CreatedAtMs");

            migrationBuilder.CreateIndex(
                name: "IX_strokes_RoomId_Seq",
                table: "strokes",
                columns: new[] { "RoomId", "Seq" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "kept_results");

            migrationBuilder.DropTable(
                name: "presets");

            migrationBuilder.DropTable(
                name: "strokes");

            migrationBuilder.DropTable(
                name: "rooms");
        }
    }
}
