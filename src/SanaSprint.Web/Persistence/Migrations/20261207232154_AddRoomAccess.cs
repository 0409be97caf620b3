using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SanaSprint.Web.Persistence.Migrations
{
    /// <summary>Each room's access record: watch-only address, host, lock, watchers, removed participants and rejoin tokens.</summary>
    public partial class AddRoomAccess : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "AccessJson",
                table: "rooms",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "AccessJson",
                table: "rooms");
        }
    }
}
