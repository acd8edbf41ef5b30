using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Toolkits;

/// <summary>An app's choice to offer a toolkit to its users: which auth scheme, scopes, and whose OAuth client.</summary>
public sealed class ToolkitConfig
{
    public Guid Id { get; init; }
    public required string AppId { get; init; }
    public required string ToolkitSlug { get; init; }
    public bool Enabled { get; set; }
    public string DisplayName { get; set; } = "";
    /// <summary>Empty = the toolkit's default scopes.</summary>
    public List<string> Scopes { get; set; } = [];
    public string AuthScheme { get; set; } = "";
    /// <summary>The app's own OAuth client; null = the platform-managed one from configuration.</summary>
    public string? ClientId { get; set; }
    /// <summary>Data Protection-encrypted, bound to app and toolkit; write-only through the API.</summary>
    public string? ClientSecret { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }

    internal static void Configure(ModelBuilder model) => model.Entity<ToolkitConfig>(e =>
    {
        e.HasKey(x => x.Id);
        e.Property(x => x.ToolkitSlug).HasMaxLength(64);
        e.Property(x => x.DisplayName).HasMaxLength(100);
        e.Property(x => x.AuthScheme).HasMaxLength(20);
        e.Property(x => x.ClientId).HasMaxLength(500);
        e.HasIndex(x => new { x.AppId, x.ToolkitSlug }).IsUnique();
        e.HasOne<Apps.App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
    });
}
