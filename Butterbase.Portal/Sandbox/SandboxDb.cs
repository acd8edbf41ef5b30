using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using OpenIddict.EntityFrameworkCore.Models;

namespace Butterbase.Portal.Sandbox;

/// <summary>
/// The Sandbox provider's own storage: OpenIddict's applications, authorizations and tokens, the sandbox
/// accounts' messages and a few settings. It shares the portal's SQLite file but not its schema: every table
/// is prefixed `Sandbox` and migrations keep their own history table, so the two evolve independently.
/// </summary>
public class SandboxDb : DbContext
{
    public SandboxDb(DbContextOptions<SandboxDb> options) : base(options) { }

    protected SandboxDb(DbContextOptions options) : base(options) { }

    public const string MigrationsHistoryTable = "__SandboxMigrationsHistory";

    public DbSet<SandboxMessage> Messages => Set<SandboxMessage>();
    public DbSet<SandboxSetting> Settings => Set<SandboxSetting>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.UseOpenIddict();
        model.Entity<OpenIddictEntityFrameworkCoreApplication>().ToTable("SandboxApplications");
        model.Entity<OpenIddictEntityFrameworkCoreAuthorization>().ToTable("SandboxAuthorizations");
        model.Entity<OpenIddictEntityFrameworkCoreScope>().ToTable("SandboxScopes");
        model.Entity<OpenIddictEntityFrameworkCoreToken>().ToTable("SandboxTokens");
        SandboxMessage.Configure(model);
        SandboxSetting.Configure(model);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder conventions)
    {
        conventions.UseUtcTimestamps();
    }

}

/// <summary>Lets `dotnet ef migrations add --context SandboxDb` build the model without starting the host.</summary>
internal sealed class SandboxDbDesignTimeFactory : IDesignTimeDbContextFactory<SandboxDb>
{
    public SandboxDb CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<SandboxDb>()
        .UseSqlite("Data Source=sandbox-design.db", o => o.MigrationsHistoryTable(SandboxDb.MigrationsHistoryTable))
        .Options);
}

/// <summary><see cref="SandboxDb"/> on PostgreSQL (the portal's database), with its own migrations.</summary>
public sealed class PostgresSandboxDb(DbContextOptions<PostgresSandboxDb> options) : SandboxDb(options);

/// <summary>A message a sandbox account sent through the sandbox API (`POST /sandbox/api/messages`).</summary>
public sealed class SandboxMessage
{
    public required string Id { get; init; }
    /// <summary>The sandbox account (the token's `sub`, an email address) that sent it.</summary>
    public required string Account { get; init; }
    public required string To { get; init; }
    public required string Text { get; init; }
    public DateTime CreatedAt { get; init; }

    internal static void Configure(ModelBuilder model) => model.Entity<SandboxMessage>(e =>
    {
        e.ToTable("SandboxMessages");
        e.HasKey(x => x.Id);
        e.Property(x => x.Id).HasMaxLength(40);
        e.Property(x => x.Account).HasMaxLength(SandboxApi.MaxEmailLength);
        e.Property(x => x.To).HasMaxLength(SandboxApi.MaxToLength);
        e.Property(x => x.Text).HasMaxLength(SandboxApi.MaxTextLength);
        e.HasIndex(x => new { x.Account, x.CreatedAt });
    });
}

/// <summary>A named value the Sandbox keeps across restarts (the generated client secret, protected).</summary>
public sealed class SandboxSetting
{
    public required string Name { get; init; }
    public required string Value { get; set; }

    internal static void Configure(ModelBuilder model) => model.Entity<SandboxSetting>(e =>
    {
        e.ToTable("SandboxSettings");
        e.HasKey(x => x.Name);
        e.Property(x => x.Name).HasMaxLength(100);
    });
}
