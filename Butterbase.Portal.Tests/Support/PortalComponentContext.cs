using System.Security.Claims;
using Bunit;
using Butterbase.Portal.Accounts;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using FluentValidation;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Quartz;

namespace Butterbase.Portal.Tests.Support;

/// <summary>
/// bUnit context with the portal's real services over a private SQLite file, MudBlazor registered once,
/// loose JS interop, and a signed-in developer.
/// </summary>
public abstract class PortalComponentContext : BunitContext, IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bb-bunit-").FullName;
    protected string DeveloperId { get; } = "dev_" + Guid.NewGuid().ToString("N")[..12];

    protected PortalComponentContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        var connection = $"Data Source={Path.Combine(_directory, "portal.db")}";
        Services.AddDbContextFactory<PortalDb>(o => o.UseSqlite(connection));
        Services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<AppRegistry>();
        Services.AddSingleton<AppTeam>();
        Services.AddScoped<AppAccess>();
        Services.AddOptions<Butterbase.Portal.Accounts.AccountOptions>();
        Services.AddSingleton<ApiKeys>();
        Services.AddSingleton(_ => SharedCatalog.Value);
        Services.AddSingleton<Butterbase.Portal.Toolkits.ToolkitConfigs>();
        Services.AddSingleton<Butterbase.Portal.Connections.CredentialProtector>();
        Services.AddSingleton<Butterbase.Portal.Connections.ConnectionCache>();
        Services.AddSingleton<Butterbase.Portal.Connections.ConnectionStore>();
        Services.AddSingleton<Butterbase.Portal.Connections.ConnectionLifecycle>();
        Services.AddSingleton<Butterbase.Portal.Webhooks.WebhookOutbox>();
        Services.AddSingleton<Butterbase.Portal.Webhooks.WebhookSecrets>();
        Services.AddSingleton<Butterbase.Portal.Webhooks.WebhookEndpoints>();
        Services.AddOptions<Butterbase.Portal.Webhooks.WebhookOptions>();
        Services.AddOptions<Butterbase.Portal.Outbound.OutboundOptions>();
        Services.AddSingleton<Butterbase.Portal.Outbound.OutboundPolicy>();
        Services.AddSingleton<Butterbase.Portal.Connections.RevocationWorker>();
        Services.AddQuartz(); // an in-memory scheduler, never started: pages can store and read triggers
        Services.AddSingleton<Butterbase.Portal.Scheduling.RecurringJobs>();
        Services.AddSingleton<Butterbase.Portal.Connections.OAuthProviders>();
        Services.AddSingleton<Butterbase.Portal.Connections.OAuthClient>();
        Services.AddSingleton<Butterbase.Portal.Connections.ConnectFlow>();
        Services.AddSingleton<Butterbase.Portal.Outbound.PublicOrigin>();
        Services.AddSingleton<Butterbase.Portal.Mcp.McpServers>();
        Services.AddSingleton<Butterbase.Portal.Connections.ConnectLinks>(); // the connection dialog's reconnect link
        Services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Butterbase:PublicBaseUrl"] = "http://localhost" }).Build());
        // The typed settings the portal binds from configuration (a test's later IConfiguration registration wins).
        Services.AddOptions<Butterbase.Portal.Outbound.PublicOriginOptions>().BindConfiguration(Butterbase.Portal.Outbound.PublicOriginOptions.Section);
        Services.AddToolkitSettings();
        Services.AddHttpClient();
        Services.AddValidatorsFromAssemblyContaining<Program>(ServiceLifetime.Singleton);
        Services.AddLogging();
        Services.AddMudServices(o => o.PopoverOptions.CheckForPopoverProvider = false);
        AddAuthorization().SetAuthorized("dev@example.com").SetClaims(new Claim(ClaimTypes.NameIdentifier, DeveloperId));
    }

    /// <summary>The shipped catalog, loaded once for all component tests.</summary>
    private static readonly Lazy<Butterbase.Portal.Catalog.ToolkitCatalog> SharedCatalog = new(() => new());

    protected T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Functions with the real worker pool (started at the first run), its runtime found through the portal's content root.</summary>
    protected void AddFunctions()
    {
        Services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment
        {
            ContentRootPath = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../Butterbase.Portal")),
        });
        Butterbase.Portal.Functions.FunctionsServices.AddFunctions(Services);
    }

    public virtual async Task InitializeAsync()
    {
        await using var db = await Service<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        await db.Database.MigrateAsync();
        db.Developers.Add(new Developer { Id = DeveloperId, Email = "dev@example.com", NormalizedEmail = "DEV@EXAMPLE.COM", CreatedAt = DateTime.UtcNow });
        db.Developers.Add(new Developer { Id = "dev_stranger", Email = "s@example.com", NormalizedEmail = "S@EXAMPLE.COM", CreatedAt = DateTime.UtcNow });
        await db.SaveChangesAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, true); } catch (IOException) { }
    }
}
