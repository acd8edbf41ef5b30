using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Data;

public static class DatabaseSetup
{
    public const string ProviderKey = DatabaseOptions.ProviderKey;

    public static void AddPortalDatabase(this WebApplicationBuilder builder)
    {
        // The provider decides which context types exist, so it is read (and checked) before the container is built.
        var database = DatabaseOptionsValidation.Checked(DatabaseOptions.From(builder.Configuration));
        builder.Services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidation>();
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section)
            .Configure<IConfiguration>(DatabaseOptions.ReadConnectionStrings).ValidateOnStart();
        if (database.UsesPostgres)
        {
            builder.Services.AddPooledDbContextFactory<PostgresPortalDb>((services, options) => options.UseNpgsql(
                services.GetRequiredService<IOptions<DatabaseOptions>>().Value.PostgresConnectionString).UseModel(CompiledModels.Postgres.PostgresPortalDbModel.Instance));
            builder.Services.AddSingleton<IDbContextFactory<PortalDb>>(sp => new Upcast<PostgresPortalDb, PortalDb>(sp.GetRequiredService<IDbContextFactory<PostgresPortalDb>>()));
            builder.Services.AddScoped<PortalDb>(sp => sp.GetRequiredService<PostgresPortalDb>());
            return;
        }
        // Pooled: every request creates a few short-lived contexts, and building one from scratch costs more than its query.
        // The model is compiled (Data/CompiledModels, one per provider, `dotnet ef dbcontext optimize`): building it from
        // OnModelCreating's conventions took ~0.8 s of every start (docs/architecture.md "Start-up"); CompiledModelTests
        // fails when it no longer matches the entities.
        builder.Services.AddPooledDbContextFactory<PortalDb>((services, options) => options.UseSqlite(
            SqliteConnectionString(services.GetRequiredService<IOptions<DatabaseOptions>>().Value, services.GetRequiredService<IHostEnvironment>().ContentRootPath))
            .UseModel(CompiledModels.Sqlite.PortalDbModel.Instance));
    }

    /// <summary>Hands out the provider's context type where the code asks for the common one.</summary>
    internal sealed class Upcast<TProvider, TContext>(IDbContextFactory<TProvider> inner) : IDbContextFactory<TContext>
        where TProvider : TContext where TContext : DbContext
    {
        public TContext CreateDbContext() => inner.CreateDbContext();
        public async Task<TContext> CreateDbContextAsync(CancellationToken ct = default) => await inner.CreateDbContextAsync(ct);
    }

    /// <summary>
    /// Resolves a relative SQLite path against the content root (so `dotnet run` and the CLI share one
    /// file whatever the working directory) and sets a generous busy timeout: Microsoft.Data.Sqlite retries
    /// SQLITE_BUSY until the command timeout, so concurrent writers wait instead of failing.
    /// </summary>
    internal static string SqliteConnectionString(DatabaseOptions database, string contentRoot)
    {
        var configured = database.SqliteConnectionString ?? "Data Source=data/butterbase.db";
        var csb = new SqliteConnectionStringBuilder(configured);
        if (csb.DataSource != ":memory:" && !csb.DataSource.StartsWith("file:", StringComparison.Ordinal) && !Path.IsPathRooted(csb.DataSource))
            csb.DataSource = Path.Combine(contentRoot, csb.DataSource);
        if (csb.DataSource != ":memory:")
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(csb.DataSource))!);
        if (!configured.Contains("Default Timeout", StringComparison.OrdinalIgnoreCase))
            csb.DefaultTimeout = 30;
        csb.Pooling = true;
        return csb.ToString();
    }

    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
        await db.Database.MigrateIfPendingAsync(ct);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers run beside the one writer; it is a property of the file and persists.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }

    /// <summary>
    /// Migrates only when a migration is pending: MigrateAsync also diffs the whole model against the last snapshot on
    /// every call (its pending-model-changes check), which was about half of the portal's start-up. That check is a test
    /// instead (MigrationsTests). Two instances starting at once both see a migration pending, and MigrateAsync's lock
    /// orders them.
    /// </summary>
    public static async Task MigrateIfPendingAsync(this Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade database, CancellationToken ct = default)
    {
        if ((await database.GetPendingMigrationsAsync(ct)).Any())
            await database.MigrateAsync(ct);
    }
}
