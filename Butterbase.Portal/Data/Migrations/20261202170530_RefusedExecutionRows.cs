using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Butterbase.Portal.Data.Migrations
{
    /// <inheritdoc />
    public partial class RefusedExecutionRows : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "HttpStatus",
                table: "Executions",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "HttpStatus",
                table: "Executions");
        }
    }
}
