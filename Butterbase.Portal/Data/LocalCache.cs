using System.Collections.Concurrent;

namespace Butterbase.Portal.Data;

/// <summary>
/// A small in-process cache for what `/execute` reads on every call (API keys, toolkit configs, connections):
/// entries live at most <c>ttl</c>, and a write in this process makes them stale at once through
/// <see cref="Invalidate"/>. Writers invalidate after their commit; readers take <see cref="Version"/> before
/// their database read and hand it to <see cref="Set"/>, so a read that raced a write is never kept.
/// Other instances on the same database only see a write when the entry's TTL ends: keep TTLs short.
/// Keys must not hold secrets in clear (hash them).
/// </summary>
public sealed class LocalCache<TValue>
{
    // Invalidation bumps one of these counters; a partition maps to one of them (collisions only cost a miss).
    private const int Stripes = 1024;
    private readonly long[] _generations = new long[Stripes];
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly long _ttl;
    private readonly int _capacity;

    private sealed record Entry(TValue Value, int Stripe, long Generation, long ExpiresAt);

    /// <param name="ttl">Zero or less turns the cache off (every call reads the database).</param>
    public LocalCache(TimeProvider clock, TimeSpan ttl, int capacity = 50_000)
    {
        _clock = clock;
        _ttl = ttl <= TimeSpan.Zero ? 0 : (long)(ttl.TotalSeconds * clock.TimestampFrequency);
        _capacity = capacity;
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

    /// <summary>Every entry of <paramref name="partition"/> is stale from now on (call after the write commits).</summary>
    public void Invalidate(string partition) => Interlocked.Increment(ref _generations[Stripe(partition)]);

    private static int Stripe(string partition) => (int)((uint)StringComparer.Ordinal.GetHashCode(partition) % Stripes);
}
