using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Apps;

/// <summary>A developer's application: the tenant every API call, toolkit and connection belongs to.</summary>
public sealed class App
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public List<string> AllowedRedirectUrls { get; set; } = [];
    /// <summary>External identity provider whose JWTs this app accepts for its end users (all three or none).</summary>
    public string? JwtIssuer { get; set; }
    public string? JwtJwksUrl { get; set; }
    public string? JwtAudience { get; set; }
    /// <summary>HMAC key for the end-user tokens this host mints for the app, Data Protection-encrypted.</summary>
    public required string UserTokenKey { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }

    public List<AppMember> Members { get; init; } = [];

    internal static void Configure(ModelBuilder model)
    {
        model.Entity<App>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.JwtIssuer).HasMaxLength(500);
            e.Property(x => x.JwtJwksUrl).HasMaxLength(2000);
            e.Property(x => x.JwtAudience).HasMaxLength(500);
            e.HasIndex(x => x.JwtIssuer);
            e.HasMany(x => x.Members).WithOne().HasForeignKey(m => m.AppId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<AppMember>(e =>
        {
            e.HasKey(x => new { x.AppId, x.DeveloperId });
            e.HasIndex(x => x.DeveloperId);
            e.HasOne<Accounts.Developer>().WithMany().HasForeignKey(x => x.DeveloperId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<ApiKey>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.Prefix).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(100);
            e.HasIndex(x => x.Prefix).IsUnique();
            e.HasIndex(x => x.AppId);
            e.HasOne<App>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}

public sealed class AppMember
{
    public required string AppId { get; init; }
    public required string DeveloperId { get; init; }
    public string Role { get; init; } = "owner";
    public DateTime CreatedAt { get; init; }
}

/// <summary>An app's secret API key. Only a SHA-256 hash is kept; the prefix finds the row.</summary>
public sealed class ApiKey
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string Name { get; set; }
    /// <summary>The first characters of the key (`bb_sk_` + 8), shown in lists and used to look the row up.</summary>
    public required string Prefix { get; init; }
    public required byte[] Hash { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
