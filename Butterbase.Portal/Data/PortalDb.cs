using Butterbase.Portal.Accounts;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Functions;
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
    public DbSet<AppFunction> Functions => Set<AppFunction>();
    public DbSet<FunctionInvocation> FunctionInvocations => Set<FunctionInvocation>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        Developer.Configure(model);
        App.Configure(model);
        ToolkitConfig.Configure(model);
        Connection.Configure(model);
        ExecutionRecord.Configure(model);
        IdempotencyRecord.Configure(model);
        AppFunction.Configure(model);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder conventions)
    {
        conventions.UseUtcTimestamps();
    }

}
