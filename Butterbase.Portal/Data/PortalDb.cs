using Butterbase.Portal.Accounts;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Butterbase.Portal.Data;

/// <summary>The one DbContext. Each feature folder owns its entities and their mapping.</summary>
public sealed class PortalDb(DbContextOptions<PortalDb> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Developer> Developers => Set<Developer>();
    public DbSet<App> Apps => Set<App>();
    public DbSet<AppMember> AppMembers => Set<AppMember>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<ToolkitConfig> ToolkitConfigs => Set<ToolkitConfig>();
    public DbSet<Connection> Connections => Set<Connection>();
    public DbSet<ConnectionRequest> ConnectionRequests => Set<ConnectionRequest>();
    public DbSet<ConnectionEvent> ConnectionEvents => Set<ConnectionEvent>();
    public DbSet<RevocationJob> RevocationJobs => Set<RevocationJob>();
    public DbSet<ExecutionRecord> Executions => Set<ExecutionRecord>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        Developer.Configure(model);
        App.Configure(model);
        ToolkitConfig.Configure(model);
        Connection.Configure(model);
        ExecutionRecord.Configure(model);
        IdempotencyRecord.Configure(model);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder conventions)
    {
        // Timestamps are stored as UTC and come back marked as UTC (SQLite keeps no kind).
        conventions.Properties<DateTime>().HaveConversion<UtcConverter>();
        conventions.Properties<DateTime?>().HaveConversion<NullableUtcConverter>();
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.ToUniversalTime(), v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class NullableUtcConverter() : ValueConverter<DateTime?, DateTime?>(
        v => v.HasValue ? v.Value.ToUniversalTime() : v,
        v => v.HasValue ? DateTime.SpecifyKind(v.Value, DateTimeKind.Utc) : v);
}
