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
    /// <summary>
    /// Extra authorize parameters over the catalog's (`prompt=consent`, `access_type=offline`: some servers drop
    /// offline_access without a consent prompt); an empty value removes the catalog's. Null = the catalog's as they are.
    /// </summary>
    public Dictionary<string, string>? AuthorizeParams { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }

    internal static void Configure(ModelBuilder model) => model.Entity<ToolkitConfig>(e =>
    {
        e.HasKey(x => x.Id);
        e.Property(x => x.ToolkitSlug).HasMaxLength(64);
        e.Property(x => x.DisplayName).HasMaxLength(100);
        e.Property(x => x.AuthScheme).HasMaxLength(20);
        e.Property(x => x.ClientId).HasMaxLength(500);
        // A small JSON object in one text column, on SQLite and PostgreSQL alike.
        e.Property(x => x.AuthorizeParams).HasConversion(
            v => v == null ? null : System.Text.Json.JsonSerializer.Serialize(v, (System.Text.Json.JsonSerializerOptions?)null),
            v => v == null ? null : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(v, (System.Text.Json.JsonSerializerOptions?)null),
            new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<Dictionary<string, string>?>(
                (a, b) => a == null ? b == null : b != null && a.Count == b.Count && !a.Except(b).Any(),
                v => v == null ? 0 : v.Aggregate(0, (h, p) => HashCode.Combine(h, p.Key, p.Value)),
                v => v == null ? null : new Dictionary<string, string>(v))).HasMaxLength(4000);
        e.HasIndex(x => new { x.AppId, x.ToolkitSlug }).IsUnique();
        e.HasOne<Apps.App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
    });
}
