using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Data;

/// <summary>
/// The portal migrates at start only when a migration is pending (README, "PostgreSQL"): the check EF's
/// MigrateAsync would make on every start, that the model has no change without a migration, is made here instead, on
/// SQLite in one pass and on PostgreSQL in the other.
/// </summary>
public sealed class MigrationsTests
{
    [Fact]
    public async Task Every_model_change_has_its_migration_and_a_restart_on_a_migrated_database_finds_none_pending()
    {
        string directory;
        await using (var first = new PortalApplication { KeepDirectory = true })
        {
            await first.CreateAppAsync("Before the restart");
            directory = first.Directory;
            await using var scope = first.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
            Assert.False(db.Database.HasPendingModelChanges(),
                "The model has changes no migration holds: add one per provider (README, \"PostgreSQL\").");
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        }
        try
        {
            await using var again = new PortalApplication(directory: directory);
            await using var scope = again.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.Equal(db.Database.GetMigrations().Count(), (await db.Database.GetAppliedMigrationsAsync()).Count());
            Assert.Equal(1, await db.Apps.CountAsync()); // the data written before the restart is there
        }
        finally { Directory.Delete(directory, recursive: true); }
    }
}
