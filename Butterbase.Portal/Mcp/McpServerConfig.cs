using Butterbase.Portal.Apps;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Mcp;

/// <summary>
/// One named MCP server of an app (`/mcp/{appId}/{name}`): which toolkits and tools an agent sees through it, whether it
/// lists the tools themselves (<see cref="McpModes.Direct"/>) or a few meta tools over them (<see cref="McpModes.Router"/>),
/// and whether it is limited to tools that only read.
/// </summary>
public sealed class McpServerConfig
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    /// <summary>The URL segment: lower-case letters, digits and dashes, unique per app.</summary>
    public required string Name { get; set; }
    public string Mode { get; set; } = McpModes.Direct;
    /// <summary>Toolkit slugs whose tools the server offers (each must be enabled for the app to be listed).</summary>
    public List<string> Toolkits { get; set; } = [];
    /// <summary>Null: every tool of <see cref="Toolkits"/>; else only these tool names.</summary>
    public List<string>? Tools { get; set; }
    public bool ReadOnly { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }

    internal static void Configure(ModelBuilder model) => model.Entity<McpServerConfig>(e =>
    {
        e.ToTable("McpServers");
        e.HasKey(x => x.Id);
        e.Property(x => x.Id).HasMaxLength(40);
        e.Property(x => x.AppId).HasMaxLength(40);
        e.Property(x => x.Name).HasMaxLength(McpServers.MaxNameLength);
        e.Property(x => x.Mode).HasMaxLength(16);
        e.HasIndex(x => new { x.AppId, x.Name }).IsUnique();
        e.HasOne<App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
    });
}

public static class McpModes
{
    /// <summary>The allowed tools themselves, as MCP tools.</summary>
    public const string Direct = "direct";
    /// <summary>Five meta tools (search, schema, execute, connections, connect) over the allowed tools.</summary>
    public const string Router = "router";
}
