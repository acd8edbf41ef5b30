using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Butterbase.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class ExecutionsTrimIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The new index first: queries keep an index on (AppId, CreatedAt) while it is built.
            migrationBuilder.CreateIndex(
                name: "IX_Executions_AppId_CreatedAt_HttpStatus",
                table: "Executions",
                columns: new[] { "AppId", "CreatedAt", "HttpStatus" });

            migrationBuilder.DropIndex(
                name: "IX_Executions_AppId_CreatedAt",
                table: "Executions");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_Executions_AppId_CreatedAt",
                table: "Executions",
                columns: new[] { "AppId", "CreatedAt" });

            migrationBuilder.DropIndex(
                name: "IX_Executions_AppId_CreatedAt_HttpStatus",
                table: "Executions");
        }
    }
}
