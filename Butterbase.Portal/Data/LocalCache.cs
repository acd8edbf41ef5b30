using System.Collections.Concurrent;

namespace Butterbase.Portal.Data;

/// <summary>
/// A small in-process cache for what `/execute` reads on every call (API keys, toolkit configs, connections):
/// entries live at most <c>ttl</c>, and a write in this process makes them stale at once through
/// <see cref="Invalidate"/>. Writers invalidate after their commit; readers take <see cref="Version"/> before
/// their database read and hand it to <see cref="Set"/>, so a read that raced a write is never kept.
/// Given a <see cref="CacheInvalidation"/> and a kind, <see cref="Invalidate"/> also tells the other instances on the same
/// database, which drop the partition within about a second; the TTL is then only the fallback for a lost message.
/// Keys and partitions must not hold secrets in clear (hash them): partitions travel to the other instances.
/// </summary>
public sealed class LocalCache<TValue> : CacheInvalidation.ISubscriber
{
    // Invalidation bumps one of these counters; a partition maps to one of them (collisions only cost a miss).
    private const int Stripes = 1024;
    private readonly long[] _generations = new long[Stripes];
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly long _ttl;
    private readonly int _capacity;
    private readonly CacheInvalidation? _invalidation;
    private readonly string _kind = "";

    private sealed record Entry(TValue Value, int Stripe, long Generation, long ExpiresAt);

    /// <param name="ttl">Zero or less turns the cache off (every call reads the database).</param>
    public LocalCache(TimeProvider clock, TimeSpan ttl, int capacity = 50_000)
    {
        _clock = clock;
        _ttl = ttl <= TimeSpan.Zero ? 0 : (long)(ttl.TotalSeconds * clock.TimestampFrequency);
        _capacity = capacity;
    }

    /// <param name="invalidation">Null: this instance only (tests, the CLI).</param>
    /// <param name="kind">The cache's name among the instances ("api-key", "toolkit", "connection").</param>
    public LocalCache(TimeProvider clock, TimeSpan ttl, CacheInvalidation? invalidation, string kind, int capacity = 50_000) : this(clock, ttl, capacity)
    {
        _invalidation = invalidation;
        _kind = kind;
        invalidation?.Subscribe(kind, this);
    }

    public bool TryGet(string key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Generation == Volatile.Read(ref _generations[entry.Stripe])
            && _clock.GetTimestamp() < entry.ExpiresAt)
        {
            value = entry.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Take this before reading the source of an entry of <paramref name="partition"/>.</summary>
    public long Version(string partition) => Volatile.Read(ref _generations[Stripe(partition)]);

    /// <summary>Keeps what was read, unless the partition was invalidated since <paramref name="version"/> was taken.</summary>
    public void Set(string key, string partition, long version, TValue value)
    {
        if (_ttl == 0) return;
        var stripe = Stripe(partition);
        if (Volatile.Read(ref _generations[stripe]) != version) return;
        if (_entries.Count >= _capacity)
        {
            var now = _clock.GetTimestamp();
            foreach (var (k, e) in _entries)
                if (e.ExpiresAt <= now) _entries.TryRemove(new KeyValuePair<string, Entry>(k, e));
            if (_entries.Count >= _capacity) _entries.Clear();
        }
        // Stored with the version it was read at: an invalidation between the check above and here still wins.
        _entries[key] = new Entry(value, stripe, version, _clock.GetTimestamp() + _ttl);
    }

    /// <summary>Every entry of <paramref name="partition"/> is stale from now on, here and (soon) on the other instances. Call after the write commits.</summary>
    public void Invalidate(string partition)
    {
        InvalidateHere(partition);
        _invalidation?.Publish(_kind, partition);
    }

    /// <summary>Another instance's write: stale here, and not sent on.</summary>
    public void InvalidateHere(string partition) => Interlocked.Increment(ref _generations[Stripe(partition)]);

    /// <summary>Every entry is stale (a message may have been missed). Bumping every stripe also refuses reads still in flight.</summary>
    public void InvalidateAllHere()
    {
        for (var i = 0; i < Stripes; i++) Interlocked.Increment(ref _generations[i]);
    }

    internal static int Stripe(string partition) => (int)((uint)StringComparer.Ordinal.GetHashCode(partition) % Stripes);
}
