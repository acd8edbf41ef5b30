using System.Threading.Channels;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Writes execution records (and function invocations, see Functions/) off the hot path: a bounded channel drained in batches by one background
/// writer; old records are pruned by age. When the channel is full the oldest pending record is dropped
/// rather than slowing the caller (the log is a diagnostic, not a ledger).
/// Per-app quotas (<see cref="LogQuota"/>) are enforced here too, never on the request path: text columns are capped as a
/// batch is written, and an app that wrote a tenth of its quota since its last check is trimmed to its quota, oldest
/// rows first, its own rows only (the 10-minute pass also checks every app, for rows other instances wrote).
/// </summary>
public sealed class ExecutionLog(IDbContextFactory<PortalDb> dbFactory, IOptions<LogQuota> quota, TimeProvider clock, ILogger<ExecutionLog> logger) : BackgroundService
{
    private readonly LogQuota _quota = quota.Value;
    // Rows written per (log, app) since that app's last quota check, by this instance.
    private readonly Dictionary<(string Log, string AppId), int> _sinceCheck = new();

    private readonly Channel<object> _queue = Channel.CreateBounded<object>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private DateTime _lastPrune;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTime> _touched = new();

    /// <summary>Queues a row, its text columns cut to the per-row cap now (a queued row never holds more than it will store).</summary>
    public void Add(ExecutionRecord record)
    {
        record.Request = LogQuota.Cap(record.Request, _quota.MaxTextBytesPerRow);
        record.Response = LogQuota.Cap(record.Response, _quota.MaxTextBytesPerRow);
        _queue.Writer.TryWrite(record);
    }

    /// <inheritdoc cref="Add(ExecutionRecord)"/>
    public void Add(Functions.FunctionInvocation invocation)
    {
        invocation.Error = LogQuota.Cap(invocation.Error, _quota.MaxTextBytesPerRow);
        invocation.Logs = LogQuota.Cap(invocation.Logs, _quota.MaxTextBytesPerRow);
        _queue.Writer.TryWrite(invocation);
    }

    /// <summary>Marks a connection used; its last-used time is written with the next batch, not per call.</summary>
    public void Touch(string connectionId) => _touched[connectionId] = clock.GetUtcNow().UtcDateTime;

    /// <summary>Waits until everything queued so far is written (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        while (_queue.Reader.Count > 0 || _writing) await Task.Delay(10, ct);
    }

    private volatile bool _writing;
    private const int BatchSize = 256;
    /// <summary>Real time, not the TimeProvider's: it batches I/O, it is not a time the product shows or decides by.</summary>
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// The writer runs on a thread of its own, not the thread pool: its work is synchronous (Microsoft.Data.Sqlite's async
    /// methods complete on the calling thread), a 256-row batch takes milliseconds and a quota trim of 5,000 rows tens of
    /// them, and while it held a pool thread the pool's two-core worth of threads served the API one short (docs/architecture.md
    /// "Execute"). On PostgreSQL the thread waits for Npgsql's I/O instead.
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { Write(stoppingToken); stopped.TrySetResult(); }
            catch (Exception e) { stopped.TrySetException(e); }
        })
        { IsBackground = true, Name = "execution-log writer" };
        thread.Start();
        return stopped.Task;
    }

    private void Write(CancellationToken stoppingToken)
    {
        var batch = new List<object>(BatchSize);
        try
        {
            while (_queue.Reader.WaitToReadAsync(stoppingToken).AsTask().GetAwaiter().GetResult())
            {
                _writing = true;
                // Group commit: a batch waits a moment for more rows instead of waking per row. Under load a transaction,
                // a prepared INSERT and a last-used UPDATE per handful of rows cost more of an execute's CPU than the
                // rows themselves (docs/architecture.md "Execute"); a diagnostic log may lag by this much.
                if (_queue.Reader.Count < BatchSize && stoppingToken.WaitHandle.WaitOne(BatchWindow)) break;
                while (batch.Count < BatchSize && _queue.Reader.TryRead(out var record)) batch.Add(record);
                try { WriteBatchAsync(batch, stoppingToken).GetAwaiter().GetResult(); }
                catch (Exception e) when (e is not OperationCanceledException) { logger.LogError(e, "Writing {Count} execution records failed", batch.Count); }
                finally { batch.Clear(); _writing = false; }
            }
        }
        catch (OperationCanceledException) { }
        finally { _writing = false; }
    }

    private async Task WriteBatchAsync(List<object> batch, CancellationToken stoppingToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
        var durability = db.Database.IsSqlite() ? await RelaxAsync(db, stoppingToken) : null;
        try
        {
            await InsertAsync(db, batch, stoppingToken);
            await EnforceQuotasAsync(db, batch, stoppingToken);
            foreach (var (id, at) in _touched)
            {
                _touched.TryRemove(new KeyValuePair<string, DateTime>(id, at));
                await db.Connections.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.LastUsedAt, at), stoppingToken);
            }
            await PruneAsync(db, stoppingToken);
        }
        finally
        {
            if (durability is { } level)
            {
                // A connection that cannot be set back is closed for good instead of going back to the pool relaxed.
                try { await PragmaAsync(db, "synchronous=" + level, CancellationToken.None); }
                catch (Exception) { Microsoft.Data.Sqlite.SqliteConnection.ClearPool((Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection()); throw; }
            }
        }
    }

    /// <summary>
    /// SQLite settings for the writer's connection while it writes a batch (a profile of the writer under load: two thirds
    /// of its time was the kernel reading and writing pages and syncing the WAL, docs/architecture.md "Execute"). A page
    /// cache of 16 MB instead of 2 MB keeps the log's indexes in memory instead of reading them back from the OS per row;
    /// synchronous=NORMAL in WAL mode syncs at checkpoints instead of per commit: a batch may be lost to a power cut or an
    /// OS crash (never to the portal crashing; the file stays consistent), which a diagnostic log can afford. The
    /// connection goes back to the pool as durable as it came (the cache size is harmless to keep).
    /// </summary>
    private static async Task<string> RelaxAsync(PortalDb db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA synchronous";
        var level = Convert.ToInt64(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        await PragmaAsync(db, "cache_size=-16384", ct);
        await PragmaAsync(db, "synchronous=NORMAL", ct);
        return level.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task PragmaAsync(PortalDb db, string pragma, CancellationToken ct)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA " + pragma;
        await command.ExecuteNonQueryAsync(ct);
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
        var days = _quota.RetentionDays;
        await db.Set<ExecutionRecord>().Where(x => x.CreatedAt < now.AddDays(-days)).ExecuteDeleteAsync(ct);
        await db.Set<Functions.FunctionInvocation>().Where(x => x.CreatedAt < now.AddDays(-days)).ExecuteDeleteAsync(ct);
        await db.Set<IdempotencyRecord>().Where(x => x.CreatedAt < now - IdempotencyStore.Window).ExecuteDeleteAsync(ct);
        // Past the retention period the rows are gone for every app anyway: the mark no longer says anything.
        await db.Set<LogTruncation>().Where(x => x.DroppedBefore < now.AddDays(-days)).ExecuteDeleteAsync(ct);
        // Rows other instances wrote: every app over its quota (one pass over each log's (AppId, CreatedAt) index).
        if (_quota.MaxRowsPerApp > 0)
            foreach (var appId in await db.Set<ExecutionRecord>().GroupBy(x => x.AppId).Where(g => g.Count() > _quota.MaxRowsPerApp).Select(g => g.Key).ToListAsync(ct))
                await TrimAsync(db, LogTruncation.Executions, appId, ct);
        if (_quota.MaxInvocationRowsPerApp > 0)
            foreach (var appId in await db.Set<Functions.FunctionInvocation>().GroupBy(x => x.AppId).Where(g => g.Count() > _quota.MaxInvocationRowsPerApp).Select(g => g.Key).ToListAsync(ct))
                await TrimAsync(db, LogTruncation.Invocations, appId, ct);
    }

    private async Task EnforceQuotasAsync(PortalDb db, List<object> batch, CancellationToken ct)
    {
        foreach (var row in batch)
        {
            var key = row switch
            {
                ExecutionRecord r => (Log: LogTruncation.Executions, r.AppId),
                Functions.FunctionInvocation f => (Log: LogTruncation.Invocations, f.AppId),
                _ => default,
            };
            if (key.AppId is null || QuotaOf(key.Log) <= 0) continue;
            _sinceCheck[key] = _sinceCheck.GetValueOrDefault(key) + 1;
        }
        foreach (var (key, written) in _sinceCheck.ToList())
        {
            if (written < LogQuota.Slack(QuotaOf(key.Log))) continue;
            _sinceCheck.Remove(key);
            await TrimAsync(db, key.Log, key.AppId, ct);
        }
    }

    private int QuotaOf(string log) => log == LogTruncation.Executions ? _quota.MaxRowsPerApp : _quota.MaxInvocationRowsPerApp;

    /// <summary>
    /// Keeps the app's newest rows up to its quota and deletes the rest of that app's rows, and only that app's; records
    /// the mark. The cut is found on the (AppId, CreatedAt) index: the quota-th newest row is the oldest one kept.
    /// </summary>
    internal async Task TrimAsync(PortalDb db, string log, string appId, CancellationToken ct)
    {
        var quota = QuotaOf(log);
        if (quota <= 0) return;
        DateTime? keepFrom;
        int dropped;
        if (log == LogTruncation.Executions)
        {
            // Refused rows apart: at most their own quota, and never counted against (so never pushing out) the app's runs.
            if (_quota.MaxRefusedRowsPerApp > 0)
            {
                var refused = db.Set<ExecutionRecord>().Where(x => x.AppId == appId && x.HttpStatus != null);
                var keepRefusedFrom = await refused.OrderByDescending(x => x.CreatedAt).Skip(_quota.MaxRefusedRowsPerApp - 1).Select(x => (DateTime?)x.CreatedAt).FirstOrDefaultAsync(ct);
                if (keepRefusedFrom is not null) await refused.Where(x => x.CreatedAt < keepRefusedFrom).ExecuteDeleteAsync(ct);
            }
            var rows = db.Set<ExecutionRecord>().Where(x => x.AppId == appId && x.HttpStatus == null);
            keepFrom = await rows.OrderByDescending(x => x.CreatedAt).Skip(quota - 1).Select(x => (DateTime?)x.CreatedAt).FirstOrDefaultAsync(ct);
            if (keepFrom is null) return;
            dropped = await rows.Where(x => x.CreatedAt < keepFrom).ExecuteDeleteAsync(ct);
        }
        else
        {
            var rows = db.Set<Functions.FunctionInvocation>().Where(x => x.AppId == appId);
            keepFrom = await rows.OrderByDescending(x => x.CreatedAt).Skip(quota - 1).Select(x => (DateTime?)x.CreatedAt).FirstOrDefaultAsync(ct);
            if (keepFrom is null) return;
            dropped = await rows.Where(x => x.CreatedAt < keepFrom).ExecuteDeleteAsync(ct);
        }
        if (dropped == 0) return;
        var now = clock.GetUtcNow().UtcDateTime;
        var marks = db.Set<LogTruncation>().Where(x => x.AppId == appId && x.Log == log);
        if (await marks.ExecuteUpdateAsync(s => s.SetProperty(x => x.DroppedBefore, keepFrom.Value)
                .SetProperty(x => x.DroppedRows, x => x.DroppedRows + dropped).SetProperty(x => x.UpdatedAt, now), ct) > 0)
            return;
        db.Add(new LogTruncation { AppId = appId, Log = log, DroppedBefore = keepFrom.Value, DroppedRows = dropped, UpdatedAt = now });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException)
        {
            // Another instance marked it first: add ours to its mark.
            db.ChangeTracker.Clear();
            await marks.ExecuteUpdateAsync(s => s.SetProperty(x => x.DroppedBefore, keepFrom.Value)
                .SetProperty(x => x.DroppedRows, x => x.DroppedRows + dropped).SetProperty(x => x.UpdatedAt, now), ct);
        }
        logger.LogInformation("App {AppId} is over its {Log} quota of {Quota} rows: dropped its {Dropped} oldest", appId, log, quota, dropped);
    }

    /// <summary>The app's truncation mark for a log, or null when nothing was dropped (within the retention period).</summary>
    public async Task<LogTruncation?> TruncationAsync(string appId, string log, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Set<LogTruncation>().AsNoTracking().FirstOrDefaultAsync(x => x.AppId == appId && x.Log == log, ct);
    }
}
