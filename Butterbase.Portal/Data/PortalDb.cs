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

/// <summary>
/// The one DbContext. Each feature folder owns its entities and their mapping. On SQLite (the default) the host uses
/// it as is; on PostgreSQL it runs as <see cref="PostgresPortalDb"/>, which only exists so each provider keeps its own
/// migrations (Data/Migrations and Data/Migrations/Postgres): the model is the same.
/// </summary>
public class PortalDb : DbContext, IDataProtectionKeyContext
{
    public PortalDb(DbContextOptions<PortalDb> options) : base(options) { }

    protected PortalDb(DbContextOptions options) : base(options) { }

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
    public DbSet<AppInvite> AppInvites => Set<AppInvite>();
    public DbSet<AppActivity> AppActivities => Set<AppActivity>();
    public DbSet<Mcp.McpServerConfig> McpServers => Set<Mcp.McpServerConfig>();
    public DbSet<Webhooks.WebhookEndpoint> WebhookEndpoints => Set<Webhooks.WebhookEndpoint>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        Developer.Configure(model);
        App.Configure(model);
        ToolkitConfig.Configure(model);
        Connection.Configure(model);
        ExecutionRecord.Configure(model);
        IdempotencyRecord.Configure(model);
        AppFunction.Configure(model);
        InvalidationRecord.Configure(model);
        LogTruncation.Configure(model);
        AppActivity.Configure(model);
        Mcp.McpServerConfig.Configure(model);
        Webhooks.WebhookEndpoint.Configure(model);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder conventions)
    {
        conventions.UseUtcTimestamps();
    }

}

/// <summary>
/// <see cref="PortalDb"/> on PostgreSQL, with its own migrations. No design-time factory (it would also answer for PortalDb):
/// `dotnet ef` builds it through the host, run with `Butterbase__Database__Provider=Postgres` (see README).
/// </summary>
public sealed class PostgresPortalDb(DbContextOptions<PostgresPortalDb> options) : PortalDb(options);
