using System.Threading.Channels;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Butterbase.Portal.Execution;

/// <summary>One tool run, as the portal's Executions page shows it. Request and response are stored redacted.</summary>
public sealed class ExecutionRecord
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public required string ToolName { get; init; }
    public required string ToolkitSlug { get; init; }
    public string? ConnectionId { get; init; }
    public bool Successful { get; init; }
    public string? ErrorCode { get; init; }
    public int? UpstreamStatus { get; init; }
    public int DurationMs { get; init; }
    public string? Request { get; init; }
    public string? Response { get; init; }
    public DateTime CreatedAt { get; init; }

    internal static void Configure(ModelBuilder model) => model.Entity<ExecutionRecord>(e =>
    {
        e.ToTable("Executions");
        e.HasKey(x => x.Id);
        e.Property(x => x.Id).HasMaxLength(40);
        e.HasIndex(x => new { x.AppId, x.CreatedAt });
        e.HasIndex(x => x.CreatedAt);
    });
}

/// <summary>
/// The mark an app's log carries once its quota made the writer drop rows (<see cref="ExecutionLog"/>): the Executions and
/// Invocations views and the API lists say the log is truncated and since when. One row per app and log.
/// </summary>
public sealed class LogTruncation
{
    public const string Executions = "executions";
    public const string Invocations = "invocations";

    public required string AppId { get; init; }
    /// <summary><see cref="Executions"/> or <see cref="Invocations"/>.</summary>
    public required string Log { get; init; }
    /// <summary>Rows of the app created before this time were dropped (the oldest row kept at the last trim).</summary>
    public DateTime DroppedBefore { get; set; }
    public long DroppedRows { get; set; }
    public DateTime UpdatedAt { get; set; }

    internal static void Configure(ModelBuilder model)
    {
        model.Entity<LogTruncation>(e =>
        {
            e.ToTable("LogTruncations");
            e.HasKey(x => new { x.AppId, x.Log });
            e.Property(x => x.AppId).HasMaxLength(40);
            e.Property(x => x.Log).HasMaxLength(16);
        });
        // The quota pass finds an app's oldest invocations whatever the function: it needs the app's rows in time order.
        model.Entity<Functions.FunctionInvocation>().HasIndex(x => new { x.AppId, x.CreatedAt });
    }
}

/// <summary>
/// Writes execution records (and function invocations, see Functions/) off the hot path: a bounded channel drained in batches by one background
/// writer; old records are pruned by age. When the channel is full the oldest pending record is dropped
/// rather than slowing the caller (the log is a diagnostic, not a ledger).
/// </summary>
public sealed class ExecutionLog(IDbContextFactory<PortalDb> dbFactory, IConfiguration configuration, TimeProvider clock, ILogger<ExecutionLog> logger) : BackgroundService
{
    private readonly Channel<object> _queue = Channel.CreateBounded<object>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private DateTime _lastPrune;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTime> _touched = new();

    public void Add(ExecutionRecord record) => _queue.Writer.TryWrite(record);

    public void Add(Functions.FunctionInvocation invocation) => _queue.Writer.TryWrite(invocation);

    /// <summary>Marks a connection used; its last-used time is written with the next batch, not per call.</summary>
    public void Touch(string connectionId) => _touched[connectionId] = clock.GetUtcNow().UtcDateTime;

    /// <summary>Waits until everything queued so far is written (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        while (_queue.Reader.Count > 0 || _writing) await Task.Delay(10, ct);
    }

    private volatile bool _writing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<object>(256);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                _writing = true;
                while (batch.Count < 256 && _queue.Reader.TryRead(out var record)) batch.Add(record);
                try
                {
                    await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                    await InsertAsync(db, batch, stoppingToken);
                    foreach (var (id, at) in _touched)
                    {
                        _touched.TryRemove(new KeyValuePair<string, DateTime>(id, at));
                        await db.Connections.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.LastUsedAt, at), stoppingToken);
                    }
                    await PruneAsync(db, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException) { logger.LogError(e, "Writing {Count} execution records failed", batch.Count); }
                finally { batch.Clear(); _writing = false; }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// Inserts the batch. On SQLite, one prepared INSERT per entity type run for every row inside one transaction: EF's
    /// SaveChanges sends the batch as one text of 256 INSERT statements that SQLite parses one by one, which cost ≈10 % of
    /// an execute's CPU under load. PostgreSQL gets EF's batch (one round trip). Columns and parameter types come from
    /// the EF model, so both paths write the same values.
    /// </summary>
    internal static async Task InsertAsync(PortalDb db, List<object> rows, CancellationToken ct)
    {
        if (!db.Database.IsSqlite())
        {
            db.AddRange(rows);
            await db.SaveChangesAsync(ct);
            return;
        }
        await db.Database.OpenConnectionAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var sql = db.GetService<ISqlGenerationHelper>();
        foreach (var group in rows.GroupBy(r => r.GetType()))
        {
            var entity = db.Model.FindEntityType(group.Key) ?? throw new InvalidOperationException($"{group.Key} is not an entity");
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var properties = entity.GetProperties().ToArray();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = transaction.GetDbTransaction();
            command.CommandText = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} "
                + $"({string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)))}) "
                + $"VALUES ({string.Join(", ", properties.Select((_, i) => "@p" + i))})";
            var parameters = properties.Select((p, i) => p.GetRelationalTypeMapping().CreateParameter(command, "@p" + i, null, p.IsNullable)).ToArray();
            var getters = properties.Select(p => p.GetGetter()).ToArray();
            var converters = properties.Select(p => p.GetTypeMapping().Converter).ToArray();
            command.Parameters.AddRange(parameters);
            command.Prepare();
            foreach (var row in group)
            {
                for (var i = 0; i < properties.Length; i++)
                {
                    var value = getters[i].GetClrValue(row);
                    parameters[i].Value = (converters[i] is null || value is null ? value : converters[i]!.ConvertToProvider(value)) ?? DBNull.Value;
                }
                await command.ExecuteNonQueryAsync(ct);
            }
        }
        await transaction.CommitAsync(ct);
    }

    private async Task PruneAsync(PortalDb db, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (now - _lastPrune < TimeSpan.FromMinutes(10)) return;
        _lastPrune = now;
        var days = configuration.GetValue("Butterbase:Executions:RetentionDays", 14);
        await db.Set<ExecutionRecord>().Where(x => x.CreatedAt < now.AddDays(-days)).ExecuteDeleteAsync(ct);
        await db.Set<Functions.FunctionInvocation>().Where(x => x.CreatedAt < now.AddDays(-days)).ExecuteDeleteAsync(ct);
        await db.Set<IdempotencyRecord>().Where(x => x.CreatedAt < now - IdempotencyStore.Window).ExecuteDeleteAsync(ct);
    }
}
