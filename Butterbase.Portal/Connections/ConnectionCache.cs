using Butterbase.Portal.Data;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Connections;

/// <summary>
/// What `/execute` found for an end user's toolkit (app, user, toolkit, optional connection id): the connection
/// it would use with its decrypted credentials, or why there is none. Every write to a connection in this process
/// (connect or reconnect, refresh, expiry, delete) invalidates the user's toolkit at once, after its commit, and on the
/// other instances within a second (<see cref="CacheInvalidation"/>; the partition key is app, toolkit and user ids).
/// Were that message lost, another instance's write shows within `Butterbase:Cache:ConnectionSeconds` (15 s by default); a token it
/// refreshed meanwhile is still found, because a 401 on our older token forces the refresh path, which re-reads
/// the row and compares versions (<see cref="TokenRefresher"/>). Expiry is judged on every call from the cached
/// credentials' own expiry, so the proactive refresh is unchanged.
/// </summary>
public sealed class ConnectionCache(TimeProvider clock, IOptions<CacheOptions> cache, CacheInvalidation? invalidation = null)
{
    /// <param name="Failure">null, or why there is no connection to use (no_connection | connection_not_found |
    /// connection_ambiguous | connection_expired, <see cref="ConnectionPicker"/>).</param>
    public sealed record Pick(Connection? Connection, StoredCredentials? Credentials, Execution.ExecuteFailure? Failure);

    private readonly LocalCache<Pick> _picks = new(clock, TimeSpan.FromSeconds(cache.Value.ConnectionSeconds), invalidation, "connection");
    /// <summary>
    /// Answers without a connection (no_connection, connection_not_found), apart and fewer: any caller can make them up
    /// (a new user id or connection id per call), and a flood of them in <see cref="_picks"/> would fill it, and a full
    /// LocalCache empties itself: every tenant's decrypted credentials gone (docs/security.md "Tenant trust: stored log
    /// volume …").
    /// </summary>
    private readonly LocalCache<Pick> _misses = new(clock, TimeSpan.FromSeconds(cache.Value.ConnectionSeconds), invalidation, "connection", MissCapacity);

    internal const int MissCapacity = 10_000;

    /// <summary>The two caches' versions, taken before the database read.</summary>
    public readonly record struct Versions(long Picks, long Misses);

    public bool TryGet(string appId, string userId, string toolkitSlug, string? connectionId, out Pick pick)
    {
        var key = Key(appId, userId, toolkitSlug, connectionId);
        return _picks.TryGet(key, out pick) || _misses.TryGet(key, out pick);
    }

    /// <summary>Take before the database read, and hand to <see cref="Set"/>.</summary>
    public Versions Version(string appId, string userId, string toolkitSlug)
    {
        var partition = Partition(appId, userId, toolkitSlug);
        return new(_picks.Version(partition), _misses.Version(partition));
    }

    public void Set(string appId, string userId, string toolkitSlug, string? connectionId, Versions version, Pick pick)
    {
        var (key, partition) = (Key(appId, userId, toolkitSlug, connectionId), Partition(appId, userId, toolkitSlug));
        if (pick.Connection is null) _misses.Set(key, partition, version.Misses, pick);
        else _picks.Set(key, partition, version.Picks, pick);
    }

    /// <summary>After any committed write to a connection of this user and toolkit.</summary>
    public void Invalidate(string appId, string userId, string toolkitSlug)
    {
        var partition = Partition(appId, userId, toolkitSlug);
        _misses.InvalidateHere(partition); // the other instances hear it once, through _picks: both caches subscribe to "connection"
        _picks.Invalidate(partition);
    }

    private static string Partition(string appId, string userId, string toolkitSlug) => $"{appId}\n{toolkitSlug}\n{userId}";

    private static string Key(string appId, string userId, string toolkitSlug, string? connectionId) =>
        $"{appId}\n{toolkitSlug}\n{userId}\n{connectionId}";
}
