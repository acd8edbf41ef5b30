using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Butterbase.Portal.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LogQuotasAndCacheInvalidation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "CacheInvalidations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Instance = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Partition = table.Column<string>(type: "text", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CacheInvalidations", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LogTruncations",
                columns: table => new
                {
                    AppId = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Log = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    DroppedBefore = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DroppedRows = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LogTruncations", x => new { x.AppId, x.Log });
                });

            migrationBuilder.CreateIndex(
                name: "IX_FunctionInvocations_AppId_CreatedAt",
                table: "FunctionInvocations",
                columns: new[] { "AppId", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CacheInvalidations");

            migrationBuilder.DropTable(
                name: "LogTruncations");

            migrationBuilder.DropIndex(
                name: "IX_FunctionInvocations_AppId_CreatedAt",
                table: "FunctionInvocations");
        }
    }
}
