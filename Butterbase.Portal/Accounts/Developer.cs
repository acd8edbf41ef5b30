using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Accounts;

/// <summary>A person who signs in to the portal and builds apps.</summary>
public sealed class Developer
{
    public required string Id { get; init; }
    public required string Email { get; set; }
    public required string NormalizedEmail { get; set; }
    public string PasswordHash { get; set; } = "";
    public DateTime CreatedAt { get; init; }

    internal static void Configure(ModelBuilder model)
    {
        model.Entity<Developer>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(40);
            e.Property(x => x.Email).HasMaxLength(256);
            e.Property(x => x.NormalizedEmail).HasMaxLength(256);
            e.HasIndex(x => x.NormalizedEmail).IsUnique();
        });
    }
}
