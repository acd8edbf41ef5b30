using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Butterbase.Portal.Data;

/// <summary>
/// Tells every instance on the same database that a cached entry is stale, so a disconnect, a revoked API key or a
/// disabled toolkit is refused everywhere within a second, not when another instance's TTL ends (the TTL stays as the
/// fallback for a lost message). Caches (<see cref="LocalCache{TValue}"/>) subscribe by kind; a writer's
/// <see cref="LocalCache{TValue}.Invalidate"/> makes this instance's entry stale at once and calls <see cref="Publish"/>,
/// which sends the kind and the partition key (never a secret: key partitions are app/user/toolkit ids or a hash)
/// right after the writer's commit:
/// <list type="bullet">
/// <item>PostgreSQL: <c>NOTIFY butterbase_cache</c>; each instance LISTENs on a dedicated connection, reconnects after a
/// failure and then forgets everything it cached (what was sent while it was away is lost).</item>
/// <item>SQLite (several hosts may share the file): a row in <c>CacheInvalidations</c>, which every instance polls every
/// 250 ms (one indexed read; rows older than five minutes are deleted).</item>
/// </list>
/// Delivery is asynchronous and best effort; a message that cannot be delivered leaves the other instances on their TTL.
/// </summary>
public sealed class CacheInvalidation(IDbContextFactory<PortalDb> dbFactory, IOptions<DatabaseOptions> database, TimeProvider clock, ILogger<CacheInvalidation> logger)
    : BackgroundService
{
    public const string Channel = "butterbase_cache";
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan KeepRows = TimeSpan.FromMinutes(5);
    private const int MaxPayloadBytes = 7_000; // PostgreSQL refuses NOTIFY payloads of 8,000 bytes or more

    /// <summary>What a cache does when another instance (or a lost message) says its entries are stale.</summary>
    public interface ISubscriber
    {
        void InvalidateHere(string partition);
        void InvalidateAllHere();
    }

    /// <summary>One message: <paramref name="Partition"/> null means every entry of the kind.</summary>
    internal sealed record Message(string Instance, string Kind, string? Partition);

    /// <summary>This process; its own messages come back over LISTEN and are skipped.</summary>
    internal string Instance { get; } = Ids.Secret(16);

    private readonly ConcurrentDictionary<string, ConcurrentBag<ISubscriber>> _subscribers = new(StringComparer.Ordinal);
    private readonly Channel<Message> _outbox = System.Threading.Channels.Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Messages applied from other instances (tests wait on it; diagnostics).</summary>
    internal long Received;

    public void Subscribe(string kind, ISubscriber cache) => _subscribers.GetOrAdd(kind, _ => []).Add(cache);

    /// <summary>Tells the other instances; call after the write commits (this instance's caches are already stale).</summary>
    public void Publish(string kind, string partition) => _outbox.Writer.TryWrite(new Message(Instance, kind, partition));

    internal void Apply(Message message)
    {
        if (message.Instance == Instance || !_subscribers.TryGetValue(message.Kind, out var caches)) return;
        foreach (var cache in caches)
            if (message.Partition is null) cache.InvalidateAllHere();
            else cache.InvalidateHere(message.Partition);
        Interlocked.Increment(ref Received);
    }

    /// <summary>After a gap in delivery: whatever was missed, nothing cached before now is trusted.</summary>
    private void ForgetEverything()
    {
        foreach (var caches in _subscribers.Values)
            foreach (var cache in caches) cache.InvalidateAllHere();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => database.Value.UsesPostgres
        ? Task.WhenAll(SendPostgresAsync(stoppingToken), ListenPostgresAsync(stoppingToken))
        : Task.WhenAll(SendSqliteAsync(stoppingToken), PollSqliteAsync(stoppingToken));

    /// <summary>The messages waiting now, each once (a burst of refreshes of one user's toolkit is one message).</summary>
    private async Task<List<Message>?> NextBatchAsync(CancellationToken ct)
    {
        if (!await _outbox.Reader.WaitToReadAsync(ct)) return null;
        var batch = new List<Message>();
        while (batch.Count < 500 && _outbox.Reader.TryRead(out var m)) if (!batch.Contains(m)) batch.Add(m);
        return batch;
    }

    /// <summary>Retries a send until it goes through (the database may be restarting); a message is never given up while the host runs.</summary>
    private async Task SendLoopAsync(Func<List<Message>, CancellationToken, Task> send, CancellationToken ct)
    {
        try
        {
            while (await NextBatchAsync(ct) is { } batch)
                for (var attempt = 1; ; attempt++)
                    try { await send(batch, ct); break; }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        if (attempt == 1) logger.LogWarning(e, "Sending {Count} cache invalidations failed; retrying", batch.Count);
                        await Task.Delay(Backoff(attempt), ct);
                    }
        }
        catch (OperationCanceledException) { }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * (1 << Math.Min(attempt, 6))));

    // ---- PostgreSQL: LISTEN/NOTIFY ----

    private NpgsqlDataSource? _notifySource;

    private string ListenConnectionString()
    {
        var csb = new NpgsqlConnectionStringBuilder(database.Value.PostgresConnectionString)
        {
            Pooling = false,                               // one long-lived connection in LISTEN state, never handed to anyone else
            KeepAlive = 10,                                // a silent network failure shows within seconds, not at the next NOTIFY
            ApplicationName = "butterbase-cache-listener", // findable in pg_stat_activity
        };
        return csb.ConnectionString;
    }

    private Task SendPostgresAsync(CancellationToken ct)
    {
        _notifySource = NpgsqlDataSource.Create(database.Value.PostgresConnectionString!);
        return SendLoopAsync(async (batch, token) =>
        {
            await using var command = _notifySource.CreateCommand("SELECT pg_notify(@channel, p) FROM unnest(@payloads) AS p");
            command.Parameters.AddWithValue("channel", Channel);
            command.Parameters.AddWithValue("payloads", batch.Select(Payload).ToArray());
            await command.ExecuteNonQueryAsync(token);
        }, ct);
    }

    internal static string Payload(Message m)
    {
        var json = JsonSerializer.Serialize(m);
        // A key too long for one notification widens to the whole kind: a few extra cache misses, never a missed invalidation.
        return System.Text.Encoding.UTF8.GetByteCount(json) <= MaxPayloadBytes ? json : JsonSerializer.Serialize(m with { Partition = null });
    }

    private async Task ListenPostgresAsync(CancellationToken ct)
    {
        for (var attempt = 0; !ct.IsCancellationRequested;)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ListenConnectionString());
                connection.Notification += (_, e) =>
                {
                    try { if (JsonSerializer.Deserialize<Message>(e.Payload) is { Kind: not null, Instance: not null } m) Apply(m); }
                    catch (JsonException) { logger.LogWarning("Ignored a malformed notification on {Channel}", Channel); }
                };
                await connection.OpenAsync(ct);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection)) await listen.ExecuteNonQueryAsync(ct);
                // Whatever was written while we were not listening (start-up, a broken connection) was not heard: drop it all.
                ForgetEverything();
                if (attempt > 0) logger.LogInformation("Cache invalidation listener reconnected");
                attempt = 0;
                while (true) await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                attempt++;
                if (attempt == 1) logger.LogWarning(e, "Cache invalidation listener lost its connection; reconnecting");
                try { await Task.Delay(attempt == 1 ? TimeSpan.FromMilliseconds(100) : Backoff(attempt), ct); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    // ---- SQLite: a small table polled every 250 ms ----

    private Task SendSqliteAsync(CancellationToken ct) => SendLoopAsync(async (batch, token) =>
    {
        await using var db = await dbFactory.CreateDbContextAsync(token);
        var now = clock.GetUtcNow().UtcDateTime;
        db.Set<InvalidationRecord>().AddRange(batch.Select(m => new InvalidationRecord
        {
            Instance = m.Instance, Kind = m.Kind, Partition = m.Partition, CreatedAt = now,
        }));
        await db.SaveChangesAsync(token);
    }, ct);

    private async Task PollSqliteAsync(CancellationToken ct)
    {
        long? last = null;
        var failing = false;
        var nextPrune = DateTime.MinValue;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var rows = db.Set<InvalidationRecord>().AsNoTracking();
                if (last is null)
                {
                    // Start: what was published before this instance cached anything does not concern it.
                    last = await rows.MaxAsync(r => (long?)r.Id, ct) ?? 0;
                }
                else
                {
                    var fresh = await rows.Where(r => r.Id > last).OrderBy(r => r.Id).Take(1_000).ToListAsync(ct);
                    foreach (var r in fresh) Apply(new Message(r.Instance, r.Kind, r.Partition));
                    if (fresh.Count > 0) last = fresh[^1].Id;
                }
                if (failing) { ForgetEverything(); failing = false; }
                var now = clock.GetUtcNow().UtcDateTime;
                if (now >= nextPrune)
                {
                    nextPrune = now.AddMinutes(1);
                    await db.Set<InvalidationRecord>().Where(r => r.CreatedAt < now - KeepRows).ExecuteDeleteAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                if (!failing) logger.LogWarning(e, "Polling cache invalidations failed; retrying");
                failing = true;
            }
            // Real time, not the injected clock: this is a wake-up interval, and a test's frozen clock must not stop it.
            try { await Task.Delay(PollInterval, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    public override void Dispose()
    {
        _notifySource?.Dispose();
        base.Dispose();
    }
}

/// <summary>One published invalidation, for instances sharing a SQLite file (see <see cref="CacheInvalidation"/>).</summary>
public sealed class InvalidationRecord
{
    /// <summary>AUTOINCREMENT: ids grow in commit order and are never reused after a prune, so "id &gt; last seen" misses nothing.</summary>
    public long Id { get; init; }
    public required string Instance { get; init; }
    public required string Kind { get; init; }
    public string? Partition { get; init; }
    public DateTime CreatedAt { get; init; }

    internal static void Configure(ModelBuilder model) => model.Entity<InvalidationRecord>(e =>
    {
        e.ToTable("CacheInvalidations");
        e.HasKey(x => x.Id);
        e.Property(x => x.Instance).HasMaxLength(32);
        e.Property(x => x.Kind).HasMaxLength(32);
    });
}

public static class CacheInvalidationSetup
{
    public static IServiceCollection AddCacheInvalidation(this IServiceCollection services)
    {
        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CacheInvalidation>();
        services.AddHostedService(sp => sp.GetRequiredService<CacheInvalidation>());
        return services;
    }
}
