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
            migrationBuilder.DropIndex(
                name: "IX_Executions_AppId_CreatedAt",
                table: "Executions");

            migrationBuilder.CreateIndex(
                name: "IX_Executions_AppId_CreatedAt_HttpStatus",
                table: "Executions",
                columns: new[] { "AppId", "CreatedAt", "HttpStatus" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Executions_AppId_CreatedAt_HttpStatus",
                table: "Executions");

            migrationBuilder.CreateIndex(
                name: "IX_Executions_AppId_CreatedAt",
                table: "Executions",
                columns: new[] { "AppId", "CreatedAt" });
        }
    }
}
