using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Butterbase.Portal.Tests.Data;

/// <summary>
/// The portal runs on a compiled EF model per provider (Data/CompiledModels; docs/architecture.md "Start-up"). A change to
/// an entity that is not compiled in would run the old model: tables, columns, converters or indexes the code no longer
/// describes. Each compiled model must equal the one OnModelCreating builds now.
/// </summary>
public sealed class CompiledModelTests
{
    [Fact]
    public void The_compiled_SQLite_model_is_the_model_the_entities_describe() =>
        AssertSame(
            new PortalDb(new DbContextOptionsBuilder<PortalDb>().UseSqlite("Data Source=:memory:").Options),
            new PortalDb(new DbContextOptionsBuilder<PortalDb>().UseSqlite("Data Source=:memory:").UseModel(Portal.Data.CompiledModels.Sqlite.PortalDbModel.Instance).Options));

    [Fact]
    public void The_compiled_PostgreSQL_model_is_the_model_the_entities_describe() =>
        AssertSame(
            new PostgresPortalDb(new DbContextOptionsBuilder<PostgresPortalDb>().UseNpgsql("Host=localhost").Options),
            new PostgresPortalDb(new DbContextOptionsBuilder<PostgresPortalDb>().UseNpgsql("Host=localhost").UseModel(Portal.Data.CompiledModels.Postgres.PostgresPortalDbModel.Instance).Options));

    private static void AssertSame(PortalDb built, PortalDb compiled)
    {
        using (built)
        using (compiled)
        {
            // Every entity, table, column, type, converter, key, index and relation as the runtime reads them (the read-optimized
            // model cannot go through the migrations differ).
            // The design-time model is built from OnModelCreating; a context's Model would be the compiled one (EF finds it by its
            // [DbContextModel] attribute even without UseModel).
            var (expected, actual) = (Describe(built.GetService<IDesignTimeModel>().Model), Describe(compiled.Model));
            var stale = expected.Except(actual).Concat(actual.Except(expected).Select(line => "(compiled) " + line)).Take(5).ToList();
            Assert.True(stale.Count == 0, "The compiled model is out of date: regenerate it with `dotnet ef dbcontext optimize` for both providers "
                + "(README, \"PostgreSQL\"). First differences:\n" + string.Join("\n", stale));
            Assert.Equal(Describe(built.Model), Describe(compiled.Model));
        }
    }

    private static List<string> Describe(IModel model) => model.GetEntityTypes().OrderBy(e => e.Name).SelectMany(e =>
        e.GetProperties().Select(p => $"{e.Name}.{p.Name}: {p.ClrType.Name} {p.GetColumnName()} {p.GetRelationalTypeMapping().StoreType} null={p.IsNullable} max={p.GetMaxLength()} "
            + $"conv={p.GetTypeMapping().Converter?.GetType().Name} key={p.IsKey()} gen={p.ValueGenerated} conc={p.IsConcurrencyToken}")
        .Concat(e.GetIndexes().Select(i => $"{e.Name} index {string.Join(",", i.Properties.Select(p => p.Name))} unique={i.IsUnique} filter={i.GetFilter()}"))
        .Concat(e.GetForeignKeys().Select(f => $"{e.Name} fk {string.Join(",", f.Properties.Select(p => p.Name))} -> {f.PrincipalEntityType.Name} {f.DeleteBehavior}"))
        .Append($"{e.Name} table={e.GetTableName()} filters={string.Join(";", e.GetDeclaredQueryFilters().Select(q => q.Key + q.Expression))}")).ToList();
}
